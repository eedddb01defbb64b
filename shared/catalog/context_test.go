package catalog

import "testing"

func TestAContextLineNamesTheTouchpointOrFallsBack(t *testing.T) {
	t.Parallel()
	c := &Context{
		Attributes: []string{"orderId"},
		Line:       Text{"en": "About your order {{orderId}}.", "es": "Sobre tu pedido {{ orderId }}."},
		Fallback:   Text{"en": "About your recent order.", "es": "Sobre tu pedido reciente."},
	}
	long := ""
	for range 80 {
		long += "x"
	}
	tests := []struct {
		name   string
		attrs  map[string]any
		locale string
		want   string
	}{
		{"a declared attribute fills its placeholder", map[string]any{"orderId": "A-1042"}, "en", "About your order A-1042."},
		{"spaces in a placeholder are allowed", map[string]any{"orderId": "A-1042"}, "es", "Sobre tu pedido A-1042."},
		{"a number is written as the producer sent it", map[string]any{"orderId": float64(1042)}, "en", "About your order 1042."},
		{"a missing attribute shows the fallback", map[string]any{"other": "x"}, "en", "About your recent order."},
		{"an empty attribute shows the fallback", map[string]any{"orderId": "  "}, "es", "Sobre tu pedido reciente."},
		{"newlines are folded into one line", map[string]any{"orderId": "A\n1042"}, "en", "About your order A 1042."},
		{"a long value is cut", map[string]any{"orderId": long}, "en", "About your order " + long[:MaxContextValue-1] + "…."},
		{"markup stays text (the templates escape it)", map[string]any{"orderId": "<b>1</b>"}, "en", "About your order <b>1</b>."},
	}
	for _, tt := range tests {
		if got := c.Fill(tt.locale, c.Pick(tt.attrs)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := c.Pick(map[string]any{"secret": "x"}); got != nil {
		t.Errorf("undeclared attributes are kept: %v", got)
	}
	var none *Context
	if none.Pick(map[string]any{"orderId": "1"}) != nil || none.Fill("en", nil) != "" {
		t.Error("a rule without context has no line")
	}
}
