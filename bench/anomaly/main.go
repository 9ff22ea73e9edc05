// Command anomaly evaluates the anomaly detectors of telemetry/anomaly on
// the Numenta Anomaly Benchmark files in ../shared/data/nab and prints
// their normalised NAB scores beside NAB's published scoreboard.
//
// Every detector runs with DefaultConfig on every file, streaming one point
// at a time. As NAB does for published detectors, one threshold per
// detector and profile is chosen to maximise the raw NAB score summed over
// the whole corpus; nothing else is fitted. When /usr/bin/python3 can
// import sklearn, scikit-learn's IsolationForest runs over the same files
// (bench/reference/anomaly_iforest.py) and is scored the same way.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/internal/repo"
	"github.com/constellation-sched/constellation/telemetry/anomaly"
	"github.com/constellation-sched/constellation/telemetry/anomaly/nab"
)

func main() {
	dataFlag := flag.String("data", "", "NAB data folder (default ../shared/data/nab from the module root)")
	skipRef := flag.Bool("no-reference", false, "skip the scikit-learn reference")
	only := flag.String("only", "", "evaluate only this detector kind")
	flag.BoolVar(&detail, "detail", false, "print per-file counts on the standard profile")
	flag.Parse()
	if err := run(*dataFlag, *only, !*skipRef); err != nil {
		slog.Error("anomaly evaluation failed", "error", err)
		os.Exit(1)
	}
}

// entry is one row of the printed table.
type entry struct {
	name     string
	outcomes []nab.Outcome
	elapsed  time.Duration
	points   int
}

func run(dir, only string, withRef bool) error {
	root, err := repo.Root()
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(root, "..", "shared", "data", "nab")
	}
	corpus, err := nab.LoadCorpus(dir)
	if err != nil {
		return fmt.Errorf("evaluate: %w (pass -data to point at a NAB folder)", err)
	}
	profiles, err := nab.LoadProfiles(filepath.Join(dir, "config", "profiles.json"))
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	fmt.Printf("NAB corpus: %d files, %d windows, %d points (%s)\n",
		len(corpus.Files), corpus.Windows(), points(corpus), dir)

	// Our detectors.
	var entries []entry
	for _, kind := range anomaly.Kinds {
		if only != "" && string(kind) != only {
			continue
		}
		start := time.Now()
		scores, err := runDetector(corpus, kind)
		if err != nil {
			return err
		}
		e, err := score(corpus, profiles, string(kind), scores)
		if err != nil {
			return err
		}
		e.elapsed, e.points = time.Since(start), points(corpus)
		entries = append(entries, e)
		if detail {
			if err := printDetail(corpus, profiles[0], scores, e.outcomes[0].Threshold); err != nil {
				return err
			}
		}
	}

	// The published detectors' own result files, as a check of the scorer.
	for _, det := range []string{"numenta", "windowedGaussian"} {
		resDir := filepath.Join(dir, "published", "results", det)
		scores, err := nab.LoadResults(corpus, resDir, det)
		if err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
		e, err := score(corpus, profiles, "published "+det+" (rescored)", scores)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}

	// The scikit-learn reference.
	refNote := "reference: scikit-learn absent (/usr/bin/python3 cannot import sklearn; " +
		"run bench/reference/install_anomaly.sh)"
	if withRef {
		e, note, err := runReference(root, dir, corpus, profiles)
		if err != nil {
			return err
		}
		refNote = note
		if e != nil {
			entries = append(entries, *e)
		}
	} else {
		refNote = "reference: skipped (-no-reference)"
	}

	printTable(os.Stdout, entries, profiles)
	fmt.Println(refNote)
	return nil
}

// runDetector streams every file through a fresh detector of kind, files
// in parallel, and returns the per-row scores.
func runDetector(c *nab.Corpus, kind anomaly.Kind) ([][]float64, error) {
	out := make([][]float64, len(c.Files))
	errs := make([]error, len(c.Files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, f := range c.Files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			det, err := anomaly.NewDetector(kind, anomaly.Config{})
			if err != nil {
				errs[i] = fmt.Errorf("evaluate %s: %w", kind, err)
				return
			}
			s := make([]float64, len(f.Values))
			for j, v := range f.Values {
				s[j] = det.Observe(f.Timestamps[j], v).Score
			}
			out[i] = s
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// score optimises the threshold per profile over the corpus.
func score(c *nab.Corpus, profiles []nab.Profile, name string, scores [][]float64) (entry, error) {
	e := entry{name: name}
	for _, p := range profiles {
		out, err := nab.NewScorer(c, p).Optimize(scores)
		if err != nil {
			return entry{}, fmt.Errorf("evaluate %s: %w", name, err)
		}
		e.outcomes = append(e.outcomes, out)
	}
	return e, nil
}

// runReference runs the scikit-learn script when sklearn imports, and
// returns its entry, or nil and a note saying why it is absent.
func runReference(root, dir string, c *nab.Corpus, profiles []nab.Profile) (*entry, string, error) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import sklearn").Run(); err != nil {
		return nil, "reference: scikit-learn ABSENT: " + python +
			" cannot import sklearn (run bench/reference/install_anomaly.sh); not compared", nil
	}
	tmp, err := os.MkdirTemp("", "anomaly-ref-")
	if err != nil {
		return nil, "", fmt.Errorf("evaluate reference: %w", err)
	}
	defer os.RemoveAll(tmp)
	script := filepath.Join(root, "bench", "reference", "anomaly_iforest.py")
	start := time.Now()
	cmd := exec.Command(python, script, dir, tmp)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("evaluate reference: %s: %w", script, err)
	}
	scores, err := nab.LoadResults(c, tmp, "sklearn")
	if err != nil {
		return nil, "", fmt.Errorf("evaluate reference: %w", err)
	}
	e, err := score(c, profiles, "sklearn IsolationForest (reference)", scores)
	if err != nil {
		return nil, "", err
	}
	e.elapsed, e.points = time.Since(start), points(c)
	return &e, "reference: scikit-learn IsolationForest via " + script, nil
}

func points(c *nab.Corpus) int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Values)
	}
	return n
}

// detail is set by -detail.
var detail bool

// printDetail prints, per file, the windows found and missed and the false
// positives at threshold under profile p.
func printDetail(c *nab.Corpus, p nab.Profile, scores [][]float64, threshold float64) error {
	for i, f := range c.Files {
		one := &nab.Corpus{Files: []nab.File{f}}
		out, err := nab.NewScorer(one, p).Score(scores[i:i+1], threshold)
		if err != nil {
			return fmt.Errorf("detail %s: %w", f.Name, err)
		}
		fmt.Printf("  %-58s TP %d FN %d FP %3d raw %6.2f\n", f.Name, out.TP, out.FN, out.FP, out.Raw)
	}
	return nil
}
