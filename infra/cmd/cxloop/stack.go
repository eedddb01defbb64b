package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/store"
)

// deployment is the stack the tool works on, its clients built on first use.
type deployment struct {
	stackName, region, table string

	cfg     *aws.Config
	outputs map[string]string
}

func (d *deployment) aws(ctx context.Context) (aws.Config, error) {
	if d.cfg != nil {
		return *d.cfg, nil
	}
	var opts []func(*config.LoadOptions) error
	if d.region != "" {
		opts = append(opts, config.WithRegion(d.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS credentials: %w", err)
	}
	d.cfg = &cfg
	return cfg, nil
}

// Outputs reads the stack's outputs (DescribeStacks).
func (d *deployment) Outputs(ctx context.Context) (map[string]string, error) {
	if d.outputs != nil {
		return d.outputs, nil
	}
	cfg, err := d.aws(ctx)
	if err != nil {
		return nil, err
	}
	res, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(d.stackName)})
	if err != nil {
		return nil, fmt.Errorf("read stack %s (deployed with `make deploy`? -stack names another): %w", d.stackName, err)
	}
	if len(res.Stacks) == 0 {
		return nil, fmt.Errorf("no stack %s", d.stackName)
	}
	d.outputs = map[string]string{}
	for _, o := range res.Stacks[0].Outputs {
		d.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return d.outputs, nil
}

// output is one named output, or an error naming what is missing.
func (d *deployment) output(ctx context.Context, name string) (string, error) {
	outs, err := d.Outputs(ctx)
	if err != nil {
		return "", err
	}
	v, ok := outs[name]
	if !ok || v == "" {
		return "", fmt.Errorf("stack %s has no output %s (deployed from an older template? run `make deploy`)", d.stackName, name)
	}
	return v, nil
}

// Store is the table's store: -table, else the stack's TableName output.
func (d *deployment) Store(ctx context.Context) (*store.Store, error) {
	cfg, err := d.aws(ctx)
	if err != nil {
		return nil, err
	}
	table := d.table
	if table == "" {
		if table, err = d.output(ctx, "TableName"); err != nil {
			return nil, err
		}
	}
	return store.New(dynamodb.NewFromConfig(cfg), table), nil
}

func (d *deployment) printOutputs(ctx context.Context, out io.Writer) error {
	outs, err := d.Outputs(ctx)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(outs))
	for k := range outs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "%-28s %s\n", k, outs[k])
	}
	return nil
}
