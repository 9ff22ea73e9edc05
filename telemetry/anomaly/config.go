package anomaly

import "fmt"

// Config holds the settings shared by every detector. A zero field takes
// its value from DefaultConfig, so Config{} is a valid configuration.
type Config struct {
	// Window is how many recent points the rolling statistics, the
	// isolation forest's training sample and the likelihood look at.
	Window int
	// WarmUp is how many points a detector observes before it scores
	// anything above 0. It is at least 2 and at most Window.
	WarmUp int
	// Threshold is the score at or above which a point is flagged.
	Threshold float64
	// Alpha is the EWMA smoothing factor in (0, 1).
	Alpha float64
	// Trees is the number of isolation trees.
	Trees int
	// SampleSize is how many points each isolation tree is grown on.
	SampleSize int
	// RetrainEvery is how many points pass between isolation forest
	// retrains.
	RetrainEvery int
	// Shingle is how many consecutive values form one isolation forest
	// point.
	Shingle int
	// Holdoff is how many points the combined detector damps its score for
	// after an alert, so that one event raises one alert. A negative value
	// turns the hold-off off.
	Holdoff int
	// Seed seeds the isolation forest's random sampling.
	Seed uint64
}

// DefaultConfig returns the settings used when a Config field is zero. They
// are the settings the NAB evaluation runs with, for every file.
func DefaultConfig() Config {
	return Config{
		Window:       2016, // a week of five-minute samples
		WarmUp:       300,
		Threshold:    0.6,
		Alpha:        0.05,
		Trees:        64,
		SampleSize:   256,
		RetrainEvery: 256,
		Shingle:      8,
		Holdoff:      120,
		Seed:         1,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Window == 0 {
		c.Window = d.Window
	}
	if c.WarmUp == 0 {
		c.WarmUp = min(d.WarmUp, c.Window)
	}
	if c.Threshold == 0 {
		c.Threshold = d.Threshold
	}
	if c.Alpha == 0 {
		c.Alpha = d.Alpha
	}
	if c.Trees == 0 {
		c.Trees = d.Trees
	}
	if c.SampleSize == 0 {
		c.SampleSize = d.SampleSize
	}
	if c.RetrainEvery == 0 {
		c.RetrainEvery = d.RetrainEvery
	}
	if c.Shingle == 0 {
		c.Shingle = d.Shingle
	}
	if c.Holdoff == 0 {
		c.Holdoff = d.Holdoff
	}
	if c.Seed == 0 {
		c.Seed = d.Seed
	}
	return c
}

// Validate returns an error wrapping ErrBadConfig that names the first
// field out of range.
func (c Config) Validate() error {
	switch {
	case c.Window < 8:
		return fmt.Errorf("window %d: must be at least 8 points: %w", c.Window, ErrBadConfig)
	case c.WarmUp < 2 || c.WarmUp > c.Window:
		return fmt.Errorf("warm-up %d: must be between 2 and the window (%d): %w",
			c.WarmUp, c.Window, ErrBadConfig)
	case !(c.Threshold > 0 && c.Threshold <= 1):
		return fmt.Errorf("threshold %g: must be in (0, 1]: %w", c.Threshold, ErrBadConfig)
	case !(c.Alpha > 0 && c.Alpha < 1):
		return fmt.Errorf("alpha %g: must be in (0, 1): %w", c.Alpha, ErrBadConfig)
	case c.Trees < 1 || c.Trees > 1024:
		return fmt.Errorf("trees %d: must be between 1 and 1024: %w", c.Trees, ErrBadConfig)
	case c.SampleSize < 4 || c.SampleSize > c.Window:
		return fmt.Errorf("sample size %d: must be between 4 and the window (%d): %w",
			c.SampleSize, c.Window, ErrBadConfig)
	case c.RetrainEvery < 1:
		return fmt.Errorf("retrain every %d: must be at least 1: %w", c.RetrainEvery, ErrBadConfig)
	case c.Shingle < 1 || c.Shingle > 64:
		return fmt.Errorf("shingle %d: must be between 1 and 64: %w", c.Shingle, ErrBadConfig)
	}
	return nil
}
