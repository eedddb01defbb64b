// Package cost turns what cxloop used into money: counts in, a bill out, with the prices read
// from costs.yaml (one file a team edits for its region and discounts). It imports no AWS
// package; the callers bring the counts (the table, CloudWatch, the local host's counters).
package cost

import (
	"bytes"
	"fmt"
	"math"

	"gopkg.in/yaml.v3"

	"github.com/cxloop/cxloop"
)

// Model is costs.yaml: the prices and what a step uses where nothing meters it.
type Model struct {
	Region                   string          `yaml:"region"`
	Currency                 string          `yaml:"currency"`
	AsOf                     string          `yaml:"asOf"`
	Discount                 float64         `yaml:"discount"`
	Prices                   Prices          `yaml:"prices"`
	FreeSchedulerInvocations float64         `yaml:"freeSchedulerInvocations"`
	MemoryMB                 float64         `yaml:"memoryMB"`
	PerStep                  map[string]Step `yaml:"perStep"`
	Fixed                    Step            `yaml:"fixed"`
}

// Prices is the price of one unit of each service line.
type Prices struct {
	LambdaGBSecond      float64 `yaml:"lambdaGBSecond"`
	LambdaRequest       float64 `yaml:"lambdaRequest"`
	HTTPAPIRequest      float64 `yaml:"httpApiRequest"`
	SchedulerInvocation float64 `yaml:"schedulerInvocation"`
	WriteRequestUnit    float64 `yaml:"writeRequestUnit"`
	ReadRequestUnit     float64 `yaml:"readRequestUnit"`
	Email               float64 `yaml:"email"`
}

// Step is what one step (a touchpoint decided, an email sent, an answer, a ticket) uses.
type Step struct {
	Invocations          float64 `yaml:"invocations"`
	HTTPRequests         float64 `yaml:"httpRequests"`
	SchedulerInvocations float64 `yaml:"schedulerInvocations"`
	Ms                   float64 `yaml:"ms"`
	ReadUnits            float64 `yaml:"readUnits"`
	WriteUnits           float64 `yaml:"writeUnits"`
}

// The steps of PerStep.
const (
	StepTouchpoint = "touchpoint"
	StepEmail      = "email"
	StepAnswer     = "answer"
	StepTicket     = "ticket"
)

// Load reads a costs.yaml; unknown keys and a missing or negative price are errors.
func Load(data []byte) (*Model, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("costs.yaml: %w", err)
	}
	p := m.Prices
	for name, v := range map[string]float64{
		"prices.lambdaGBSecond": p.LambdaGBSecond, "prices.lambdaRequest": p.LambdaRequest, "prices.httpApiRequest": p.HTTPAPIRequest,
		"prices.schedulerInvocation": p.SchedulerInvocation, "prices.writeRequestUnit": p.WriteRequestUnit,
		"prices.readRequestUnit": p.ReadRequestUnit, "prices.email": p.Email, "memoryMB": m.MemoryMB,
	} {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("costs.yaml: %s must be a positive number", name)
		}
	}
	if m.Discount < 0 || m.Discount >= 1 {
		return nil, fmt.Errorf("costs.yaml: discount must be a fraction from 0 up to 1, not %g", m.Discount)
	}
	for _, s := range []string{StepTouchpoint, StepEmail, StepAnswer, StepTicket} {
		if _, ok := m.PerStep[s]; !ok {
			return nil, fmt.Errorf("costs.yaml: perStep.%s is missing", s)
		}
	}
	if m.Currency == "" {
		m.Currency = "USD"
	}
	return &m, nil
}

// Shipped is the costs.yaml built into the binary.
func Shipped() (*Model, error) { return Load(cxloop.CostsYAML) }

// Counts is what the table says happened: the steps of the feedback loop.
type Counts struct {
	Touchpoints float64 `json:"touchpoints"`
	Invitations float64 `json:"invitations"`
	Emails      float64 `json:"emails"`
	Answers     float64 `json:"answers"`
	Tickets     float64 `json:"tickets"`
}

// Usage is what the services metered (or what Estimate says they would have).
type Usage struct {
	LambdaRequests       float64 `json:"lambdaRequests"`
	LambdaGBSeconds      float64 `json:"lambdaGBSeconds"`
	HTTPRequests         float64 `json:"httpRequests"`
	SchedulerInvocations float64 `json:"schedulerInvocations"`
	WriteUnits           float64 `json:"writeRequestUnits"`
	ReadUnits            float64 `json:"readRequestUnits"`
	Emails               float64 `json:"emails"`
}

// Estimate is the usage of counts by PerStep, plus months of the fixed schedule (0 for none).
func (m *Model) Estimate(c Counts, months float64) Usage {
	var u Usage
	add := func(s Step, n float64) {
		u.LambdaRequests += s.Invocations * n
		u.HTTPRequests += s.HTTPRequests * n
		u.SchedulerInvocations += s.SchedulerInvocations * n
		u.LambdaGBSeconds += s.Ms / 1000 * m.MemoryMB / 1024 * n
		u.ReadUnits += s.ReadUnits * n
		u.WriteUnits += s.WriteUnits * n
	}
	add(m.PerStep[StepTouchpoint], c.Touchpoints)
	add(m.PerStep[StepEmail], c.Emails)
	add(m.PerStep[StepAnswer], c.Answers)
	add(m.PerStep[StepTicket], c.Tickets)
	add(m.Fixed, months)
	u.Emails = c.Emails
	return u
}

// Services, the share keys of a Bill.
const (
	ServiceLambda    = "Lambda"
	ServiceHTTPAPI   = "API Gateway"
	ServiceScheduler = "EventBridge Scheduler"
	ServiceDynamoDB  = "DynamoDB"
	ServiceSES       = "SES"
)

// Line is one priced line of a bill.
type Line struct {
	Service  string  `json:"service"`
	Item     string  `json:"item"`
	Quantity float64 `json:"quantity"`
	Price    float64 `json:"price"`
	Cost     float64 `json:"cost"`
}

// Bill is a usage priced: its lines, the total and each service's share of it.
type Bill struct {
	Currency string             `json:"currency"`
	Region   string             `json:"region"`
	Discount float64            `json:"discount"`
	Lines    []Line             `json:"lines"`
	Total    float64            `json:"total"`
	Share    map[string]float64 `json:"share"` // service -> fraction of Total
}

// Bill prices u: list price times quantity, less the discount; the scheduler's free invocations
// are taken off first (u is a month's usage for that to hold).
func (m *Model) Bill(u Usage) Bill {
	p := m.Prices
	sched := math.Max(0, u.SchedulerInvocations-m.FreeSchedulerInvocations)
	b := Bill{Currency: m.Currency, Region: m.Region, Discount: m.Discount, Share: map[string]float64{}}
	for _, l := range []Line{
		{ServiceLambda, "Lambda compute (GB-s)", u.LambdaGBSeconds, p.LambdaGBSecond, 0},
		{ServiceLambda, "Lambda requests", u.LambdaRequests, p.LambdaRequest, 0},
		{ServiceHTTPAPI, "HTTP API requests", u.HTTPRequests, p.HTTPAPIRequest, 0},
		{ServiceScheduler, "Scheduler invocations (after the free tier)", sched, p.SchedulerInvocation, 0},
		{ServiceDynamoDB, "DynamoDB write request units", u.WriteUnits, p.WriteRequestUnit, 0},
		{ServiceDynamoDB, "DynamoDB read request units", u.ReadUnits, p.ReadRequestUnit, 0},
		{ServiceSES, "SES emails", u.Emails, p.Email, 0},
	} {
		l.Cost = l.Quantity * l.Price * (1 - m.Discount)
		b.Lines = append(b.Lines, l)
		b.Total += l.Cost
		b.Share[l.Service] += l.Cost
	}
	for s, c := range b.Share {
		if b.Total > 0 {
			b.Share[s] = c / b.Total
		} else {
			b.Share[s] = 0
		}
	}
	return b
}

// PerThousand is cost per 1,000 of n (surveys sent, say); 0 when n is 0.
func PerThousand(total, n float64) float64 {
	if n <= 0 {
		return 0
	}
	return total / n * 1000
}
