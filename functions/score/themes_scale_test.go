package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/theme"
)

// itemSize is an item's size as DynamoDB bills it: attribute names plus values (a string its
// UTF-8 bytes, a number about one byte per two digits plus one, maps and lists 3 bytes plus
// their elements, 1 byte per element).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(x.Value, "-0"))+1)/2 + 1
	case *types.AttributeValueMemberM:
		return 3 + itemSize(x.Value) + len(x.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + valueSize(e)
		}
		return n
	}
	return 1
}

// pseudoWord makes a letters-only word from i (digits would be dropped as personal data).
func pseudoWord(i int) string {
	var b strings.Builder
	for i >= 0 {
		b.WriteByte(byte('a' + i%26))
		i = i/26 - 1
	}
	return "zq" + b.String()
}

// TestThemeCostPerAnswerAndItemSizes measures what themes add to a scoring run (the same 50 new
// answers with and without comments) and how large the theme items get with a vocabulary far
// over the per-day bound: the figures docs/THEMES.md states.
func TestThemeCostPerAnswerAndItemSizes(t *testing.T) {
	measure := func(comments bool) (storetest.Usage, *fixture) {
		f := newFixture(t, nps)
		r := rand.New(rand.NewPCG(7, 19))
		for i := range 50 {
			a := start.Add(-50*time.Minute + time.Duration(i)*time.Second)
			c := ""
			if comments {
				c = fmt.Sprintf("the courier was late and the %s was %s, %s", pseudoWord(r.IntN(400)), pseudoWord(r.IntN(400)), pseudoWord(r.IntN(400)))
			}
			f.inviteSaid(nps, "en", "", seg([]string{"pro", "basic"}[i%2], "eu"), a.Add(-2*time.Minute), said{i % 11, a, c})
		}
		meter := &storetest.CapacityMeter{}
		h := f.handler(f.metered(meter), nps)
		if _, err := h.Handle(f.ctx, nil); err != nil {
			t.Fatal(err)
		}
		return meter.Usage(), f
	}
	off, _ := measure(false)
	on, f := measure(true)
	t.Logf("50 new answers without comments: requests %v, read units %.1f, write units %.1f", off.Calls, off.Read, off.Write)
	t.Logf("50 new answers with comments:    requests %v, read units %.1f, write units %.1f", on.Calls, on.Read, on.Write)
	if extra := on.Calls["GetItem"] - off.Calls["GetItem"]; extra != 1 {
		t.Errorf("themes added %d GetItem, want 1 (the day's vocabulary)", extra)
	}
	// The run's own transaction is the same one; a third is the theme alert firing (all 50
	// comments mention delivery), which is RecordBreach's, not the counts'.
	if on.Calls["Query"] != off.Calls["Query"] {
		t.Errorf("themes changed the queries: %v vs %v", on.Calls, off.Calls)
	}

	// 3,000 low-band and high-band comments, each with 6 of 4,000 distinct words, on one day.
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		words := make([]string, 6)
		for j := range words {
			words[j] = pseudoWord(r.IntN(4000))
		}
		a := start.Add(time.Duration(i) * time.Millisecond * 500)
		f.inviteSaid(nps, "en", "", seg([]string{"pro", "basic"}[i%2], []string{"eu", "us", "apac"}[i%3]), a.Add(-time.Minute),
			said{[]int{0, 3, 6, 9, 10}[i%5], a, "courier late expensive support " + strings.Join(words, " ")})
	}
	f.now = start.Add(time.Hour)
	if res := f.run(); res.Surveys[0].Changed != 3000 {
		t.Fatalf("the run counted %d answers, want 3000", res.Surveys[0].Changed)
	}
	get := func(pk string) map[string]types.AttributeValue {
		out, err := f.st.DB.GetItem(f.ctx, &dynamodb.GetItemInput{TableName: aws.String(f.st.Table), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "DAY#" + start.Format(time.DateOnly)}}})
		if err != nil || out.Item == nil {
			t.Fatalf("get %s: %v", pk, err)
		}
		return out.Item
	}
	day, vocab := itemSize(get("HIST#"+nps)), itemSize(get("THEMES#"+nps))
	t.Logf("after 3,050 commented answers on one day (7 dimensions, 3 declared themes, 4,000 distinct words): day histogram item %d bytes, vocabulary item %d bytes", day, vocab)
	t.Logf("write units per run and touched day on AWS (transactional, x2): day item %d, vocabulary item %d",
		2*int(math.Ceil(float64(day)/1024)), 2*int(math.Ceil(float64(vocab)/1024)))
	if vocab > 12*1024 {
		t.Errorf("the vocabulary item is %d bytes: the bound of %d terms per band should keep it under 12 KB", vocab, theme.MaxTermsPerBand)
	}
	if day > 8*1024 {
		t.Errorf("the day item is %d bytes", day)
	}
}
