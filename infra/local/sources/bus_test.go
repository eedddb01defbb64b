package sources_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/infra/local/sources"
)

func TestBusRoutesEventsToTheFunctionsWhoseRuleMatches(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, "TouchpointFunction", "MailEventsFunction")
	rules, err := sources.RulesFromTemplate(loadTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&sources.Bus{Invoke: rec, Rules: rules, FailureDir: t.TempDir()})
	defer srv.Close()

	body := `{"Entries":[
		{"Source":"shop.orders","DetailType":"Touchpoint","Detail":"{\"eventId\":\"order-1\",\"touchpoint\":\"order.delivered\"}"},
		{"Source":"aws.ses","DetailType":"Email Bounced","Detail":"{\"eventType\":\"Bounce\",\"mail\":{\"tags\":{\"ses:configuration-set\":[\"cxloop-prod\"]}}}"},
		{"Source":"aws.ses","DetailType":"Email Delivered","Detail":"{\"eventType\":\"Delivery\"}"},
		{"Source":"shop.orders","DetailType":"Touchpoint","Detail":"not json"},
		{"Source":"aws.ses","DetailType":"Email Bounced","Detail":"{\"eventType\":\"Bounce\",\"mail\":{\"tags\":{\"ses:configuration-set\":[\"another-stage\"]}}}"}
	]}`
	resp, err := http.Post(srv.URL+sources.BusPath+"?wait=true", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		FailedEntryCount int
		Entries          []sources.EntryResult
		Deliveries       []sources.DeliveryReport
	}
	if err := jsonDecode(resp, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if out.FailedEntryCount != 1 || len(out.Entries) != 5 || out.Entries[3].ErrorCode != "MalformedDetail" || out.Entries[0].EventID == "" {
		t.Errorf("PutEvents answer %+v", out)
	}
	if len(out.Deliveries) != 2 || out.Deliveries[0].Function != "TouchpointFunction" || out.Deliveries[1].Function != "MailEventsFunction" ||
		out.Deliveries[0].EventID != out.Entries[0].EventID || len(out.Deliveries[0].Response) == 0 {
		t.Errorf("deliveries %+v", out.Deliveries)
	}

	type envelope struct {
		Event struct {
			Version    string         `json:"version"`
			ID         string         `json:"id"`
			DetailType string         `json:"detail-type"`
			Source     string         `json:"source"`
			Account    string         `json:"account"`
			Region     string         `json:"region"`
			Time       string         `json:"time"`
			Resources  []string       `json:"resources"`
			Detail     map[string]any `json:"detail"`
		} `json:"event"`
	}
	tests := []struct {
		name, function, wantDetailType string
		wantDetail                     string
	}{
		{"a Touchpoint event reaches TouchpointFunction with the CloudWatch envelope", "TouchpointFunction", "Touchpoint", "order-1"},
		{"an SES bounce of this stack's configuration set reaches MailEventsFunction; a delivery, or a bounce of another set, does not", "MailEventsFunction", "Email Bounced", "Bounce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rec.payloads(tt.function)
			if len(got) != 1 {
				t.Fatalf("%s got %d events", tt.function, len(got))
			}
			var ev envelope
			// The test function echoes the event it received.
			res, err := rec.host.Invoke(t.Context(), tt.function, got[0])
			if err != nil {
				t.Fatal(err)
			}
			decode(t, res.Payload, &ev)
			e := ev.Event
			if e.Version != "0" || e.ID == "" || e.DetailType != tt.wantDetailType || e.Account != "000000000000" ||
				e.Region != "us-east-1" || e.Time == "" || e.Resources == nil || !strings.Contains(string(got[0]), tt.wantDetail) {
				t.Errorf("envelope %+v", e)
			}
		})
	}
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
