package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/infra/local/fault"
)

// units are DynamoDB capacity units one function consumed.
type units struct {
	Read, Write float64
	// GSIWrite is the part of Write spent on the global secondary indexes.
	GSIWrite float64
	// Calls is the number of DynamoDB calls; FailedConditions those refused by a condition
	// (charged 1 write unit each, as AWS does, since DynamoDB Local reports nothing for them).
	Calls, FailedConditions int
}

func (u *units) add(o units) {
	u.Read += o.Read
	u.Write += o.Write
	u.GSIWrite += o.GSIWrite
	u.Calls += o.Calls
	u.FailedConditions += o.FailedConditions
}

var readOps = map[string]bool{"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true, "TransactGetItems": true}
var writeOps = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true}

// meter records consumed capacity per function from the DynamoDB proxies: it asks for
// ReturnConsumedCapacity INDEXES on every call (so GSI writes are reported too, per index) and
// reads ConsumedCapacity from every answer.
type meter struct {
	// txFactor multiplies the units DynamoDB Local reports for TransactWriteItems and
	// TransactGetItems so that they are what AWS charges (2 per item): calibrated by calibrate.
	txFactor float64

	// db and table read items back (without metering) to see which indexes they are in.
	db    *dynamodb.Client
	table string

	mu  sync.Mutex
	per map[string]*units

	tracing bool
	calls   []meteredCall
}

// meteredCall is one DynamoDB call as metered: which function, what it did, what it cost.
type meteredCall struct {
	Fn, Op, What string
	Units        units
}

// readBack reads the item with key (read without metering, right after the write) and returns
// its size by DynamoDB's rule (itemSize) and how many of the table's indexes it is in; zero for
// an item that is not there.
func (m *meter) readBack(key json.RawMessage) (size, indexes int) {
	if m.db == nil {
		return 0, 0
	}
	var k map[string]struct{ S string }
	if json.Unmarshal(key, &k) != nil {
		return 0, 0
	}
	out, err := m.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(m.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: k["PK"].S}, "SK": &types.AttributeValueMemberS{Value: k["SK"].S}}})
	if err != nil || out.Item == nil {
		return 0, 0
	}
	for _, g := range gsiKeys {
		if out.Item[g[0]] != nil && out.Item[g[1]] != nil {
			indexes++
		}
	}
	return itemSize(out.Item), indexes
}

// itemSize is an item's size as DynamoDB counts it for capacity: each attribute's name plus its
// value (docs.aws.amazon.com, "Item sizes and formats").
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize: about one byte per two significant digits, plus one.
func numberSize(s string) int {
	digits := strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(s), "0")
	return (len(digits)+1)/2 + 1
}

func newMeter() *meter { return &meter{txFactor: 1, per: map[string]*units{}} }

// attach meters the traffic of one function's proxy.
func (m *meter) attach(fn string, p *fault.Proxy) {
	p.Rewrite = func(c fault.Call) []byte {
		if c.Service != "dynamodb" || (!readOps[c.Operation] && !writeOps[c.Operation]) || len(c.Body) == 0 {
			return nil
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(c.Body, &body); err != nil {
			return nil
		}
		body["ReturnConsumedCapacity"] = json.RawMessage(`"INDEXES"`)
		b, _ := json.Marshal(body)
		return b
	}
	p.Observe = func(c fault.Call, status int, body []byte) {
		if c.Service != "dynamodb" {
			return
		}
		u := units{Calls: 1}
		switch {
		case status == 200 && c.Operation == "TransactWriteItems":
			// DynamoDB Local's figure for transactions does not add up per item (it reports 2 for
			// one, two or three small items): compute AWS's charge from the request instead.
			u.Write, u.GSIWrite = txWriteUnits(c.Body, m.readBack)
		case status == 200 && c.Operation == "BatchGetItem":
			// AWS charges every key of a batch as a GetItem of its own, found or not; DynamoDB
			// Local reports only what it found.
			u.Read = batchGetUnits(c.Body, body)
		case status == 200:
			r, w, g := consumed(body, readOps[c.Operation])
			if c.Operation == "TransactGetItems" {
				r *= m.txFactor
			}
			if readOps[c.Operation] && r == 0 {
				// AWS's minimum per read request (a strongly consistent one costs twice); DynamoDB
				// Local reports 0 for an empty result.
				r = 0.5
				if bytes.Contains(c.Body, []byte(`"ConsistentRead":true`)) {
					r = 1
				}
			}
			u.Read, u.Write, u.GSIWrite = r, w, g
		case bytes.Contains(body, []byte("ConditionalCheckFailed")):
			u.FailedConditions = 1
			u.Write = 1
		case bytes.Contains(body, []byte("TransactionCanceled")):
			u.FailedConditions = 1
			u.Write, u.GSIWrite = txWriteUnits(c.Body, nil) // AWS charges the attempt
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.tracing {
			m.calls = append(m.calls, meteredCall{Fn: fn, Op: c.Operation, What: callSummary(c.Body), Units: u})
		}
		if m.per[fn] == nil {
			m.per[fn] = &units{}
		}
		m.per[fn].add(u)
	}
}

// consumed sums ConsumedCapacity (one object, or a list for transactions and batches).
func consumed(body []byte, read bool) (r, w, gsi float64) {
	var out struct {
		ConsumedCapacity json.RawMessage
	}
	if json.Unmarshal(body, &out) != nil || len(out.ConsumedCapacity) == 0 {
		return 0, 0, 0
	}
	type cc struct {
		CapacityUnits          float64
		GlobalSecondaryIndexes map[string]struct{ CapacityUnits float64 }
	}
	var list []cc
	if out.ConsumedCapacity[0] == '[' {
		json.Unmarshal(out.ConsumedCapacity, &list) //nolint:errcheck // zero on a surprise
	} else {
		var one cc
		json.Unmarshal(out.ConsumedCapacity, &one) //nolint:errcheck
		list = []cc{one}
	}
	var total, idx float64
	for _, c := range list {
		total += c.CapacityUnits
		for _, g := range c.GlobalSecondaryIndexes {
			idx += g.CapacityUnits
		}
	}
	if read {
		return total, 0, 0
	}
	return 0, total, idx
}

// batchGetUnits is AWS's charge for a BatchGetItem: each requested key is read as a GetItem of its
// own, its item's size rounded up to 4 KB (a missing item still costs the minimum), half a unit
// per 4 KB when eventually consistent, one when strongly. An item is sized by its JSON, which is
// never smaller than DynamoDB's count of its names and values.
func batchGetUnits(req, resp []byte) float64 {
	var in struct {
		RequestItems map[string]struct {
			Keys           []map[string]json.RawMessage
			ConsistentRead bool
		}
	}
	var out struct {
		Responses map[string][]json.RawMessage
	}
	if json.Unmarshal(req, &in) != nil || json.Unmarshal(resp, &out) != nil {
		return 0
	}
	var total float64
	for table, r := range in.RequestItems {
		per := 0.5
		if r.ConsistentRead {
			per = 1
		}
		found := out.Responses[table]
		for i := range r.Keys {
			blocks := 1
			if i < len(found) {
				blocks = max(1, (len(found[i])+4095)/4096)
			}
			total += per * float64(blocks)
		}
	}
	return total
}

// take returns what each function consumed since the last take and starts again.
func (m *meter) take() map[string]units {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]units{}
	for fn, u := range m.per {
		out[fn] = *u
	}
	m.per = map[string]*units{}
	return out
}

// takeCalls returns the calls traced since the last takeCalls and starts again.
func (m *meter) takeCalls() []meteredCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.calls
	m.calls = nil
	return out
}

// callSummary names what a DynamoDB request touched: the index or the key's partition prefix,
// and an update's expression with its attribute names filled in.
func callSummary(body []byte) string {
	var req struct {
		IndexName, UpdateExpression, ConditionExpression string
		Key                                              map[string]map[string]string
		Item                                             map[string]json.RawMessage
		ExpressionAttributeNames                         map[string]string
		TransactItems                                    []json.RawMessage
		RequestItems                                     map[string]struct {
			Keys []map[string]map[string]string
		}
	}
	if json.Unmarshal(body, &req) != nil {
		return ""
	}
	names := func(s string) string {
		// Longest aliases first, so that #1 does not replace the start of #10.
		aliases := slices.SortedFunc(maps.Keys(req.ExpressionAttributeNames), func(a, b string) int { return len(b) - len(a) })
		for _, alias := range aliases {
			s = strings.ReplaceAll(s, alias, req.ExpressionAttributeNames[alias])
		}
		return strings.ReplaceAll(s, "\n", " ")
	}
	prefix := func(pk string) string {
		if i := strings.IndexByte(pk, '#'); i > 0 {
			return pk[:i]
		}
		return pk
	}
	var parts []string
	if req.IndexName != "" {
		parts = append(parts, "index "+req.IndexName)
	}
	if pk := req.Key["PK"]["S"]; pk != "" {
		parts = append(parts, "key "+prefix(pk))
	}
	if len(req.Item) > 0 {
		var pk struct{ S string }
		json.Unmarshal(req.Item["PK"], &pk) //nolint:errcheck // a summary
		parts = append(parts, fmt.Sprintf("put %s (%d attributes)", prefix(pk.S), len(req.Item)))
	}
	for _, ri := range req.RequestItems {
		var ks []string
		for _, k := range ri.Keys {
			ks = append(ks, prefix(k["PK"]["S"]))
		}
		parts = append(parts, "keys "+strings.Join(ks, ","))
	}
	if req.UpdateExpression != "" {
		parts = append(parts, names(req.UpdateExpression))
	}
	if req.ConditionExpression != "" {
		parts = append(parts, "if "+names(req.ConditionExpression))
	}
	if len(req.TransactItems) > 0 {
		parts = append(parts, fmt.Sprintf("%d items", len(req.TransactItems)))
	}
	return strings.Join(parts, "; ")
}

// calibrate measures what DynamoDB Local reports for a two-item TransactWriteItems (items
// without index keys) and sets txFactor so that transactions count 2 units per item, as AWS
// charges. Older DynamoDB Local builds reported 1 unit per item; 3.3.x here reports 2.
func (m *meter) calibrate(ctx context.Context, db *dynamodb.Client, table string) (reported float64, err error) {
	item := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "CAL"}}
	}
	out, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), Item: item("BENCH#cal#1")}},
			{Put: &types.Put{TableName: aws.String(table), Item: item("BENCH#cal#2")}},
		}})
	if err != nil {
		return 0, fmt.Errorf("calibrate transactions: %w", err)
	}
	for _, c := range out.ConsumedCapacity {
		reported += aws.ToFloat64(c.CapacityUnits)
	}
	if reported > 0 {
		m.txFactor = 4 / reported
	}
	m.db, m.table = db, table
	return reported, nil
}

// gsiKeys are the key attributes of the table's indexes (template.yaml), by index.
var gsiKeys = [][2]string{{"GSI1PK", "GSI1SK"}, {"GSI2PK", "GSI2SK"}, {"GSI3PK", "GSI3SK"}, {"GSI4PK", "GSI4SK"}}

// txWriteUnits is what AWS charges for a TransactWriteItems request, by its rules: 2 write units
// per KB (rounded up) of the item as written, for every item, and 1 unit per KB on every index the
// item is in, not doubled: the transactional factor applies to the table alone. AWS's guide does not
// spell that out; the dynoxide project measured it against DynamoDB (its
// tests/transactional_index_consumed_capacity.rs, 13 August 2026). The whole item's size is an
// upper bound for an index that projects only some attributes. Each written item is read back to
// size it by DynamoDB's rule (readBack) and to see its indexes; an Update also counts an index whose
// key its expression names (an entry added or removed; AWS charges a delete and a put when a key
// changes, so a moved key is counted once too few). Without readBack (a cancelled transaction) a Put
// is sized by its JSON on the wire, an Update as 1 KB. A ConditionCheck is charged 2 units per KB of
// the item it reads (read back too); a Delete 2.
func txWriteUnits(body []byte, readBack func(key json.RawMessage) (size, indexes int)) (total, gsi float64) {
	var req struct {
		TransactItems []struct {
			Put *struct {
				Item map[string]json.RawMessage
			}
			Update *struct {
				Key                       json.RawMessage
				UpdateExpression          string
				ExpressionAttributeNames  map[string]string
				ExpressionAttributeValues map[string]json.RawMessage
			}
			ConditionCheck *struct {
				Key json.RawMessage
			}
			Delete json.RawMessage
		}
	}
	if json.Unmarshal(body, &req) != nil {
		return 0, 0
	}
	kb := func(n int) float64 { return float64((n + 1023) / 1024) }
	for _, it := range req.TransactItems {
		switch {
		case it.Put != nil:
			b, _ := json.Marshal(it.Put.Item)
			size := len(b)
			if readBack != nil {
				k, _ := json.Marshal(map[string]json.RawMessage{"PK": it.Put.Item["PK"], "SK": it.Put.Item["SK"]})
				size, _ = readBack(k)
			}
			units := kb(max(size, 1))
			total += 2 * units
			for _, k := range gsiKeys {
				if it.Put.Item[k[0]] != nil && it.Put.Item[k[1]] != nil {
					total += units
					gsi += units
				}
			}
		case it.Update != nil:
			size, n := 1, 0
			if readBack != nil {
				size, n = readBack(it.Update.Key)
			}
			units := kb(max(size, 1))
			total += 2 * units
			// The item's entry in every index it is in is counted as rewritten; an index key named
			// by the expression adds or removes an entry.
			for _, k := range gsiKeys {
				for alias, name := range it.Update.ExpressionAttributeNames {
					if (name == k[0] || name == k[1]) && strings.Contains(it.Update.UpdateExpression, alias) {
						n++
						break
					}
				}
			}
			n = min(n, len(gsiKeys))
			total += float64(n) * units
			gsi += float64(n) * units
		case it.ConditionCheck != nil:
			size := 1
			if readBack != nil {
				size, _ = readBack(it.ConditionCheck.Key)
			}
			total += 2 * kb(max(size, 1))
		default:
			total += 2
		}
	}
	return total, gsi
}
