package samtemplate

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableSpec mirrors the AWS::DynamoDB::Table properties the local stack creates.
type tableSpec struct {
	BillingMode            string
	AttributeDefinitions   []struct{ AttributeName, AttributeType string }
	KeySchema              []keyElement
	GlobalSecondaryIndexes []struct {
		IndexName  string
		KeySchema  []keyElement
		Projection struct {
			ProjectionType   string
			NonKeyAttributes []string
		}
		ProvisionedThroughput *throughput
	}
	ProvisionedThroughput   *throughput
	StreamSpecification     *struct{ StreamViewType string }
	TimeToLiveSpecification *struct {
		AttributeName string
		Enabled       bool
	}
}

type keyElement struct{ AttributeName, KeyType string }

type throughput struct{ ReadCapacityUnits, WriteCapacityUnits int64 }

// parseTable resolves the table's properties and decodes them through JSON into tableSpec.
func (t *Template) parseTable(props map[string]any) (*tableSpec, error) {
	raw, err := json.Marshal(t.res.deep(props))
	if err != nil {
		return nil, err
	}
	var spec tableSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("table properties: %w", err)
	}
	if len(spec.KeySchema) == 0 {
		return nil, fmt.Errorf("table has no KeySchema")
	}
	return &spec, nil
}

// deep resolves every scalar-valued intrinsic in v, leaving structure in place.
func (r *resolver) deep(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k := range v {
				if k == "Ref" || len(k) > 4 && k[:4] == "Fn::" {
					s, _ := r.str(v)
					return s
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = r.deep(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = r.deep(x)
		}
		return out
	}
	return v
}

// CreateTableInput returns the input that creates the template's table under name: keys, GSIs,
// stream and billing exactly as declared. It is nil when the template declares no table.
func (t *Template) CreateTableInput(name string) *dynamodb.CreateTableInput {
	s := t.table
	if s == nil {
		return nil
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), KeySchema: keys(s.KeySchema)}
	for _, a := range s.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: types.ScalarAttributeType(a.AttributeType)})
	}
	provisioned := s.BillingMode == "PROVISIONED" || s.BillingMode == "" && s.ProvisionedThroughput != nil
	if provisioned {
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = s.ProvisionedThroughput.sdk()
	} else {
		in.BillingMode = types.BillingModePayPerRequest
	}
	for _, g := range s.GlobalSecondaryIndexes {
		gsi := types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName),
			KeySchema: keys(g.KeySchema),
			Projection: &types.Projection{ProjectionType: types.ProjectionType(g.Projection.ProjectionType),
				NonKeyAttributes: g.Projection.NonKeyAttributes},
		}
		if provisioned {
			gsi.ProvisionedThroughput = g.ProvisionedThroughput.sdk()
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	if s.StreamSpecification != nil && s.StreamSpecification.StreamViewType != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true),
			StreamViewType: types.StreamViewType(s.StreamSpecification.StreamViewType)}
	}
	return in
}

// TTLAttribute returns the table's enabled TTL attribute, or "".
func (t *Template) TTLAttribute() string {
	if t.table == nil || t.table.TimeToLiveSpecification == nil || !t.table.TimeToLiveSpecification.Enabled {
		return ""
	}
	return t.table.TimeToLiveSpecification.AttributeName
}

func keys(ks []keyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, len(ks))
	for i, k := range ks {
		out[i] = types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)}
	}
	return out
}

func (p *throughput) sdk() *types.ProvisionedThroughput {
	if p == nil {
		p = &throughput{ReadCapacityUnits: 5, WriteCapacityUnits: 5}
	}
	return &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(p.ReadCapacityUnits),
		WriteCapacityUnits: aws.Int64(p.WriteCapacityUnits)}
}
