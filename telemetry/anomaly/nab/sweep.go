package nab

import "math"

// sweep returns the scorable rows of one file with the reward each would
// earn if detected, following NAB's Sweeper.calcSweepScore. Windows are
// numbered from base; it also returns how many windows the file
// contributes (those with at least one row after the probation period).
func (s *Scorer) sweep(f File, scores []float64, base int) ([]row, int) {
	maxTP := scaledSigmoid(-1)
	probation := Probation(len(f.Values))
	rows := make([]row, 0, len(f.Values)-probation)

	w := 0    // next window to enter
	cur := -1 // window we are in, or -1
	prevEnd, prevWidth := -1, 0.0
	windowID := map[int]int{} // file window -> corpus window
	for i, score := range scores {
		if cur < 0 && w < len(f.Windows) && i == f.Windows[w].Start {
			cur = w
			w++
		}

		// Inside a window a detection is worth a true positive, earlier
		// being better; outside it costs a false positive, less so just
		// after a window.
		var reward float64
		if cur >= 0 {
			win := f.Windows[cur]
			width := float64(win.End - win.Start + 1)
			pos := -float64(win.End-i+1) / width
			reward = scaledSigmoid(pos) * s.profile.TP / maxTP
		} else {
			pos := 3.0
			if prevEnd >= 0 {
				pos = math.Abs(float64(prevEnd-i)) / (prevWidth - 1)
			}
			reward = scaledSigmoid(pos) * s.profile.FP
		}

		if i >= probation {
			id := -1
			if cur >= 0 {
				var ok bool
				if id, ok = windowID[cur]; !ok {
					id = base + len(windowID)
					windowID[cur] = id
				}
			}
			rows = append(rows, row{score: sanitize(score), reward: reward, window: id})
		}

		if cur >= 0 && i == f.Windows[cur].End {
			prevEnd = i
			prevWidth = float64(f.Windows[cur].End - f.Windows[cur].Start + 1)
			cur = -1
		}
	}
	return rows, len(windowID)
}

// scaledSigmoid is NAB's reward curve: about 0.987 at the left edge of a
// window (-1), 0 at its right edge, -0.987 one window past it, and -1 from
// three windows past it on.
func scaledSigmoid(pos float64) float64 {
	if pos >= 3 {
		return -1
	}
	return 2/(1+math.Exp(5*pos)) - 1
}

// sanitize maps NaN scores to 0 so that they never count as detections.
func sanitize(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}
