package ticket

import "testing"

func TestTeamAddressesFallBackToTheOpsAddress(t *testing.T) {
	t.Parallel()
	a, err := ParseTeamAddresses(`{"billing":"billing@example.com"}`, "ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for team, want := range map[string]string{"billing": "billing@example.com", "support": "ops@example.com", "": "ops@example.com"} {
		if got := a.For(team); got != want {
			t.Errorf("For(%q) = %q, want %q", team, got, want)
		}
	}
	if empty, err := ParseTeamAddresses("", "ops@example.com"); err != nil || empty.For("x") != "ops@example.com" {
		t.Errorf("no TEAM_ADDRESSES: %v %v", empty, err)
	}
	if _, err := ParseTeamAddresses(`["not an object"]`, ""); err == nil {
		t.Error("a JSON array was accepted")
	}
}
