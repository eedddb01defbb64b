package lambdahost

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

// levels orders Lambda's application log levels.
var levels = map[string]int{"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}

// filterLevel returns w behind Lambda's log-level filter: with the JSON log format and a level
// set, each line whose "level" is below it is dropped; a line that is not JSON, or has no valid
// "level", counts as INFO (Lambda's rule). Without them, w as it is.
func filterLevel(w io.Writer, format, level string) io.Writer {
	min, ok := levels[strings.ToUpper(level)]
	if !strings.EqualFold(format, "JSON") || !ok || min == 0 {
		return w
	}
	return &levelFilter{w: w, min: min}
}

type levelFilter struct {
	mu   sync.Mutex
	w    io.Writer
	min  int
	part []byte
}

func (f *levelFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.part = append(f.part, p...)
	for {
		i := bytes.IndexByte(f.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := f.part[:i+1]
		if lineLevel(line) >= f.min {
			if _, err := f.w.Write(line); err != nil {
				return len(p), err
			}
		}
		f.part = f.part[i+1:]
	}
}

// lineLevel is the level Lambda reads from one application log line.
func lineLevel(line []byte) int {
	var rec struct {
		Level string `json:"level"`
	}
	if json.Unmarshal(line, &rec) == nil {
		if l, ok := levels[strings.ToUpper(rec.Level)]; ok {
			return l
		}
	}
	return levels["INFO"]
}
