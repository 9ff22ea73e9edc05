package jobspec

import (
	"encoding/json"
	"testing"
)

// BenchmarkParse measures decoding the job that uses every block, in both
// formats. The figure to compare is ns/op of HCL against JSON for the same
// job.
func BenchmarkParse(b *testing.B) {
	job, err := Parse("train.hcl", []byte(fullHCL))
	if err != nil {
		b.Fatal(err)
	}
	jsonSrc, err := json.Marshal(job)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, file string
		src        []byte
	}{
		{"hcl", "train.hcl", []byte(fullHCL)},
		{"json", "train.json", jsonSrc},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.file, bc.src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
