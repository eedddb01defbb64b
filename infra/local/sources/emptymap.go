package sources

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DynamoDB Local's stream API writes an empty map attribute as an untyped `{}` where DynamoDB
// writes `{"M": {}}`. The SDK's union decoder then misreads the record (it took the next
// attribute's value for the map in our probe), so a ticket item with an empty map, or an
// invitation without segments, reached FollowupFunction garbled. typeEmptyMaps rewrites those
// values in GetRecords responses before the SDK decodes them; AWS's own answers pass unchanged.

// typeEmptyMaps is a deserialize middleware placed between the SDK's decoder and the transport.
var typeEmptyMaps = middleware.DeserializeMiddlewareFunc("TypeEmptyMaps", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode != 200 || resp.Body == nil {
		return out, md, err
	}
	raw, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return out, md, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(fixEmptyMaps(raw)))
	return out, md, err
})

// fixEmptyMaps returns a GetRecords body with every untyped `{}` attribute value in the records'
// Keys, NewImage and OldImage written as `{"M": {}}`. A body it cannot parse is returned as is.
func fixEmptyMaps(raw []byte) []byte {
	var body map[string]json.RawMessage
	if json.Unmarshal(raw, &body) != nil {
		return raw
	}
	var records []map[string]json.RawMessage
	if json.Unmarshal(body["Records"], &records) != nil || len(records) == 0 {
		return raw
	}
	changed := false
	for _, rec := range records {
		var change map[string]json.RawMessage
		if json.Unmarshal(rec["dynamodb"], &change) != nil {
			continue
		}
		for _, image := range []string{"Keys", "NewImage", "OldImage"} {
			var attrs map[string]any
			if json.Unmarshal(change[image], &attrs) != nil || attrs == nil {
				continue
			}
			if typeAttributes(attrs) {
				change[image], _ = json.Marshal(attrs)
				changed = true
			}
		}
		rec["dynamodb"], _ = json.Marshal(change)
	}
	if !changed {
		return raw
	}
	body["Records"], _ = json.Marshal(records)
	fixed, err := json.Marshal(body)
	if err != nil {
		return raw
	}
	return fixed
}

// typeAttributes types the untyped empty values of a map of attribute values, nested maps and
// lists included, and reports whether it changed anything.
func typeAttributes(attrs map[string]any) bool {
	changed := false
	for name, v := range attrs {
		if av, ok := v.(map[string]any); ok {
			if len(av) == 0 {
				attrs[name] = map[string]any{"M": map[string]any{}}
				changed = true
				continue
			}
			changed = typeValue(av) || changed
		}
	}
	return changed
}

// typeValue looks inside one typed attribute value ({"M": ...} or {"L": [...]}).
func typeValue(av map[string]any) bool {
	changed := false
	if m, ok := av["M"].(map[string]any); ok {
		changed = typeAttributes(m)
	}
	if l, ok := av["L"].([]any); ok {
		for i, x := range l {
			if xv, ok := x.(map[string]any); ok {
				if len(xv) == 0 {
					l[i] = map[string]any{"M": map[string]any{}}
					changed = true
					continue
				}
				changed = typeValue(xv) || changed
			}
		}
	}
	return changed
}
