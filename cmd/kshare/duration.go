package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dayDuration is a flag value that takes Go durations ("168h", "90m") and
// whole days ("7d"), like the configuration file does.
type dayDuration struct{ d *time.Duration }

func (v dayDuration) String() string {
	if v.d == nil {
		return "0s"
	}
	return v.d.String()
}

func (v dayDuration) Set(s string) error {
	if days, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return fmt.Errorf("%q: want whole days such as 7d, or a duration such as 168h", s)
		}
		*v.d = time.Duration(n) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q: want whole days such as 7d, or a duration such as 168h", s)
	}
	*v.d = d
	return nil
}

func (v dayDuration) Type() string { return "duration" }
