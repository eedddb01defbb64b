package sources

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

var failureMu sync.Mutex

// appendFailure appends rec as one JSON line to dir/<function>.jsonl, the local stand-in for an
// on-failure destination or dead-letter queue.
func appendFailure(dir, function string, rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	failureMu.Lock()
	defer failureMu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, function+".jsonl")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
