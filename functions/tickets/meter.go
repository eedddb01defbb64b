package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/store"
)

// cloudWatchMeter reads what AWS metered with one paginated GetMetricData call: each function's
// Invocations and Duration, the table's and its indexes' consumed read and write units, and the
// HTTP API's request Count, each summed over the period. The template grants
// cloudwatch:GetMetricData, which has no resource-level permission (Resource "*").
type cloudWatchMeter struct {
	// CW builds the client on the Costs page's first call: no other route needs it, so a cold
	// start does not pay for it.
	CW        func() *cloudwatch.Client
	Functions []string // function names
	Table     string
	Indexes   []string // the table's global secondary indexes
	APIID     string   // the HTTP API's id ("" for none)
	MemoryMB  float64
}

// meterFromEnv is the CloudWatch meter of a deployed stack: the functions COST_FUNCTIONS names and
// this one, the table, its indexes and HTTP_API_ID, at this function's memory size. A function
// pointed at a DynamoDB endpoint of its own runs on the local stack, which has no CloudWatch: its
// meter is the local host's counters, GET /_local/usage on the local API (baseURL).
func meterFromEnv(cfg aws.Config, table, baseURL string) CostMeter {
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" {
		return &localMeter{URL: strings.TrimSuffix(baseURL, "/") + "/_local/usage"}
	}
	m := &cloudWatchMeter{CW: sync.OnceValue(func() *cloudwatch.Client { return cloudwatch.NewFromConfig(cfg) }), Table: table, APIID: os.Getenv("HTTP_API_ID"),
		Indexes: []string{store.IndexContact, store.IndexQueue, store.IndexFeed, store.IndexDue}, MemoryMB: 256}
	for _, fn := range append(strings.Split(os.Getenv("COST_FUNCTIONS"), ","), os.Getenv("AWS_LAMBDA_FUNCTION_NAME")) {
		if fn = strings.TrimSpace(fn); fn != "" {
			m.Functions = append(m.Functions, fn)
		}
	}
	if mb, err := strconv.ParseFloat(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 64); err == nil && mb > 0 {
		m.MemoryMB = mb
	}
	return m
}

// Source names the meter.
func (m *cloudWatchMeter) Source() string { return "cloudwatch" }

// RequestUnits: the table's consumed units are among the metrics.
func (m *cloudWatchMeter) RequestUnits() bool { return true }

// metricQuery is one metric summed over the period.
type metricQuery struct {
	id, namespace, name string
	dims                map[string]string
}

// queries lists what Metered asks for; ids say what each sum feeds (see usageOf).
func (m *cloudWatchMeter) queries() []metricQuery {
	var q []metricQuery
	for i, fn := range m.Functions {
		q = append(q,
			metricQuery{fmt.Sprintf("inv%d", i), "AWS/Lambda", "Invocations", map[string]string{"FunctionName": fn}},
			metricQuery{fmt.Sprintf("dur%d", i), "AWS/Lambda", "Duration", map[string]string{"FunctionName": fn}})
	}
	q = append(q,
		metricQuery{"rcu", "AWS/DynamoDB", "ConsumedReadCapacityUnits", map[string]string{"TableName": m.Table}},
		metricQuery{"wcu", "AWS/DynamoDB", "ConsumedWriteCapacityUnits", map[string]string{"TableName": m.Table}})
	for i, ix := range m.Indexes {
		q = append(q,
			metricQuery{fmt.Sprintf("rcux%d", i), "AWS/DynamoDB", "ConsumedReadCapacityUnits", map[string]string{"TableName": m.Table, "GlobalSecondaryIndexName": ix}},
			metricQuery{fmt.Sprintf("wcux%d", i), "AWS/DynamoDB", "ConsumedWriteCapacityUnits", map[string]string{"TableName": m.Table, "GlobalSecondaryIndexName": ix}})
	}
	if m.APIID != "" {
		q = append(q, metricQuery{"api", "AWS/ApiGateway", "Count", map[string]string{"ApiId": m.APIID}})
	}
	return q
}

// usageOf turns the sums by query id into usage: Duration is milliseconds, billed at MemoryMB.
func (m *cloudWatchMeter) usageOf(sums map[string]float64) cost.Usage {
	var u cost.Usage
	for id, v := range sums {
		switch {
		case strings.HasPrefix(id, "inv"):
			u.LambdaRequests += v
		case strings.HasPrefix(id, "dur"):
			u.LambdaGBSeconds += v / 1000 * m.MemoryMB / 1024
		case strings.HasPrefix(id, "rcu"):
			u.ReadUnits += v
		case strings.HasPrefix(id, "wcu"):
			u.WriteUnits += v
		case id == "api":
			u.HTTPRequests += v
		}
	}
	return u
}

// Metered sums the metrics from from to to, one period spanning them.
func (m *cloudWatchMeter) Metered(ctx context.Context, from, to time.Time) (cost.Usage, error) {
	period := int32(math.Ceil(to.Sub(from).Seconds()/60)) * 60
	if period < 60 {
		period = 60
	}
	var in cloudwatch.GetMetricDataInput
	in.StartTime, in.EndTime = aws.Time(from), aws.Time(from.Add(time.Duration(period)*time.Second))
	for _, q := range m.queries() {
		var dims []types.Dimension
		for k, v := range q.dims {
			dims = append(dims, types.Dimension{Name: aws.String(k), Value: aws.String(v)})
		}
		in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{Id: aws.String(q.id), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(q.namespace), MetricName: aws.String(q.name), Dimensions: dims},
			Period: aws.Int32(period), Stat: aws.String("Sum"),
		}})
	}
	sums := map[string]float64{}
	for p := cloudwatch.NewGetMetricDataPaginator(m.CW(), &in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return cost.Usage{}, fmt.Errorf("get metric data: %w", err)
		}
		for _, r := range out.MetricDataResults {
			for _, v := range r.Values {
				sums[aws.ToString(r.Id)] += v
			}
		}
	}
	return m.usageOf(sums), nil
}

// localMeter reads the local host's counters: each function's invocations and duration and the
// HTTP API's requests since the local stack started (DynamoDB Local meters no request units, so
// those stay estimated).
type localMeter struct {
	URL    string
	Client *http.Client // nil: a client with a 5-second timeout
}

// Source names the meter.
func (m *localMeter) Source() string { return "local host" }

// RequestUnits: DynamoDB Local meters none.
func (m *localMeter) RequestUnits() bool { return false }

// Metered reads the counters; they run since the local stack started, whatever from is.
func (m *localMeter) Metered(ctx context.Context, _, _ time.Time) (cost.Usage, error) {
	c := m.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return cost.Usage{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return cost.Usage{}, fmt.Errorf("read the local host's counters: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return cost.Usage{}, fmt.Errorf("read the local host's counters: %s", resp.Status)
	}
	var got struct {
		Functions map[string]struct {
			Invocations float64 `json:"invocations"`
			DurationMs  float64 `json:"durationMs"`
			MemoryMB    float64 `json:"memoryMB"`
		} `json:"functions"`
		HTTPRequests float64 `json:"httpRequests"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&got); err != nil {
		return cost.Usage{}, fmt.Errorf("decode the local host's counters: %w", err)
	}
	u := cost.Usage{HTTPRequests: got.HTTPRequests}
	for _, f := range got.Functions {
		u.LambdaRequests += f.Invocations
		u.LambdaGBSeconds += f.DurationMs / 1000 * f.MemoryMB / 1024
	}
	return u, nil
}
