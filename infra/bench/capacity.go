package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/infra/fault"
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

	mu  sync.Mutex
	per map[string]*units
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
		case status == 200:
			r, w, g := consumed(body, readOps[c.Operation])
			if strings.HasPrefix(c.Operation, "Transact") {
				r, w, g = r*m.txFactor, w*m.txFactor, g*m.txFactor
			}
			u.Read, u.Write, u.GSIWrite = r, w, g
		case bytes.Contains(body, []byte("ConditionalCheckFailed")):
			u.FailedConditions = 1
			u.Write = 1
		case bytes.Contains(body, []byte("TransactionCanceled")):
			u.FailedConditions = 1
			u.Write = 2 * float64(bytes.Count(c.Body, []byte(`"TableName"`))) // AWS charges the attempt
		}
		m.mu.Lock()
		defer m.mu.Unlock()
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

// calibrate measures what DynamoDB Local reports for a two-item TransactWriteItems (items
// without index keys) and sets txFactor so that transactions count 2 units per item, as AWS
// charges. FACTS.md recorded 1 unit per item for an older setup; 3.3.1 here reports 2.
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
	return reported / 2, nil
}
