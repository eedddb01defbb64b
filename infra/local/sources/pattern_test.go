package sources_test

import (
	"testing"

	"github.com/cxloop/cxloop/infra/local/sources"
)

func TestPatternsMatchLikeEventBridge(t *testing.T) {
	t.Parallel()
	answered := `{"eventName":"MODIFY","dynamodb":{"NewImage":{"kind":{"S":"invitation"},"answeredAt":{"S":"2026-11-23T10:00:00Z"},"score":{"N":"3"}}}}`
	unanswered := `{"eventName":"INSERT","dynamodb":{"NewImage":{"kind":{"S":"invitation"}}}}`
	removed := `{"eventName":"REMOVE","dynamodb":{"OldImage":{"kind":{"S":"invitation"}}}}`
	tests := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"an exact value in the list matches", `{"eventName":["INSERT","MODIFY"]}`, answered, true},
		{"a value outside the list does not match", `{"eventName":["INSERT","MODIFY"]}`, removed, false},
		{"exists true matches a present field", `{"dynamodb":{"NewImage":{"answeredAt":{"S":[{"exists":true}]}}}}`, answered, true},
		{"exists true does not match a missing field", `{"dynamodb":{"NewImage":{"answeredAt":{"S":[{"exists":true}]}}}}`, unanswered, false},
		{"exists false matches a missing field", `{"dynamodb":{"NewImage":{"answeredAt":[{"exists":false}]}}}`, unanswered, true},
		{"exists false does not match a present field", `{"dynamodb":{"NewImage":{"answeredAt":{"S":[{"exists":false}]}}}}`, answered, false},
		{"a nested object missing from the event does not match", `{"dynamodb":{"NewImage":{"kind":{"S":["invitation"]}}}}`, removed, false},
		{"a prefix matches the start of a string", `{"dynamodb":{"NewImage":{"answeredAt":{"S":[{"prefix":"2026-11"}]}}}}`, answered, true},
		{"a prefix does not match elsewhere", `{"dynamodb":{"NewImage":{"answeredAt":{"S":[{"prefix":"11"}]}}}}`, answered, false},
		{"anything-but excludes the listed values", `{"eventName":[{"anything-but":["REMOVE"]}]}`, removed, false},
		{"anything-but admits other values", `{"eventName":[{"anything-but":["REMOVE"]}]}`, answered, true},
		{"anything-but with a prefix", `{"eventName":[{"anything-but":{"prefix":"MOD"}}]}`, answered, false},
		{"a numeric range matches a number inside it", `{"n":[{"numeric":[">",0,"<=",6]}]}`, `{"n":6}`, true},
		{"a numeric range does not match outside it", `{"n":[{"numeric":[">",0,"<=",6]}]}`, `{"n":7}`, false},
		{"a numeric range does not match a DynamoDB number string", `{"dynamodb":{"NewImage":{"score":{"N":[{"numeric":["<",5]}]}}}}`, answered, false},
		{"an array value matches when any element does", `{"resources":["b"]}`, `{"resources":["a","b"]}`, true},
		{"every field of the pattern must match", `{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"kind":{"S":["breach"]}}}}`, answered, false},
		{"equals-ignore-case", `{"detail-type":[{"equals-ignore-case":"touchpoint"}]}`, `{"detail-type":"Touchpoint"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := sources.ParsePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.MatchJSON([]byte(tt.event)); got != tt.want {
				t.Errorf("pattern %s on %s = %v, want %v", tt.pattern, tt.event, got, tt.want)
			}
		})
	}
}
