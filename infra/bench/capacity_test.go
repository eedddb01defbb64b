package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTxWriteUnitsByAWSRules holds the bench's transaction arithmetic to the rules it states: the
// table at 2 units per KB, each index the item is in at 1 per KB, a ConditionCheck at 2 per KB of
// the item it reads.
func TestTxWriteUnitsByAWSRules(t *testing.T) {
	sizes := map[string]struct{ size, indexes int }{
		"small": {300, 2},
		"big":   {2500, 1},
		"check": {3000, 0},
	}
	readBack := func(key json.RawMessage) (int, int) {
		var k map[string]struct{ S string }
		if err := json.Unmarshal(key, &k); err != nil {
			t.Fatalf("key %s: %v", key, err)
		}
		s := sizes[k["PK"].S]
		return s.size, s.indexes
	}
	tests := []struct {
		name       string
		body       string
		total, gsi float64
	}{
		{"put of a small item in two indexes", `{"TransactItems":[{"Put":{"Item":{"PK":{"S":"small"},"SK":{"S":"x"},"GSI1PK":{"S":"a"},"GSI1SK":{"S":"b"},"GSI2PK":{"S":"c"},"GSI2SK":{"S":"d"}}}}]}`, 4, 2},
		{"put of a 2.5 KB item in one index", `{"TransactItems":[{"Put":{"Item":{"PK":{"S":"big"},"SK":{"S":"x"},"GSI3PK":{"S":"a"},"GSI3SK":{"S":"b"}}}}]}`, 9, 3},
		{"update of an item in two indexes", `{"TransactItems":[{"Update":{"Key":{"PK":{"S":"small"},"SK":{"S":"x"}},"UpdateExpression":"SET #0 = :0","ExpressionAttributeNames":{"#0":"n"}}}]}`, 4, 2},
		{"update adding an index key to an item on no index", `{"TransactItems":[{"Update":{"Key":{"PK":{"S":"check"},"SK":{"S":"x"}},"UpdateExpression":"SET #0 = :0","ExpressionAttributeNames":{"#0":"GSI4PK"}}}]}`, 9, 3},
		{"condition check of a 3 KB item", `{"TransactItems":[{"ConditionCheck":{"Key":{"PK":{"S":"check"},"SK":{"S":"x"}}}}]}`, 6, 0},
		{"delete", `{"TransactItems":[{"Delete":{"Key":{"PK":{"S":"gone"},"SK":{"S":"x"}}}}]}`, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, gsi := txWriteUnits([]byte(tt.body), readBack)
			if total != tt.total || gsi != tt.gsi {
				t.Errorf("units %.0f (GSI %.0f), want %.0f (GSI %.0f)", total, gsi, tt.total, tt.gsi)
			}
		})
	}
}

func TestBatchGetUnitsChargeEveryKeyByAWSRules(t *testing.T) {
	small := `{"PK":{"S":"CONTACT#c"},"SK":{"S":"STATE"}}`
	big := `{"PK":{"S":"EVENT#e"},"SK":{"S":"EVENT"},"blob":{"S":"` + strings.Repeat("x", 5000) + `"}}`
	key := `{"PK":{"S":"K"},"SK":{"S":"K"}}`
	for _, c := range []struct {
		name      string
		req, resp string
		want      float64
	}{
		{"three keys, none found, eventually consistent", `{"RequestItems":{"t":{"Keys":[` + key + `,` + key + `,` + key + `]}}}`, `{"Responses":{"t":[]}}`, 1.5},
		{"three keys, one small found", `{"RequestItems":{"t":{"Keys":[` + key + `,` + key + `,` + key + `]}}}`, `{"Responses":{"t":[` + small + `]}}`, 1.5},
		{"strongly consistent", `{"RequestItems":{"t":{"Keys":[` + key + `,` + key + `],"ConsistentRead":true}}}`, `{"Responses":{"t":[` + small + `]}}`, 2},
		{"an item over 4 KB is two blocks", `{"RequestItems":{"t":{"Keys":[` + key + `,` + key + `]}}}`, `{"Responses":{"t":[` + big + `]}}`, 1.5},
	} {
		if got := batchGetUnits([]byte(c.req), []byte(c.resp)); got != c.want {
			t.Errorf("%s: %v read units, want %v", c.name, got, c.want)
		}
	}
}
