package access

import "testing"

func TestAllows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role, need string
		want       bool
	}{
		{Viewer, Viewer, true}, {Viewer, Agent, false}, {Viewer, Admin, false},
		{Agent, Viewer, true}, {Agent, Agent, true}, {Agent, Admin, false},
		{Admin, Viewer, true}, {Admin, Agent, true}, {Admin, Admin, true},
		{Producer, Viewer, false}, {Producer, Producer, false},
		{"", Viewer, false}, {"root", Viewer, false}, {Admin, "root", false},
	} {
		if got := Allows(tc.role, tc.need); got != tc.want {
			t.Errorf("Allows(%q, %q) = %v, want %v", tc.role, tc.need, got, tc.want)
		}
	}
	for _, r := range Roles {
		if !Valid(r) {
			t.Errorf("%s is not valid", r)
		}
	}
	if Valid("root") || Valid("") {
		t.Error("an unknown role is valid")
	}
}
