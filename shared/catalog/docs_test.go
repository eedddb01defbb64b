package catalog

import (
	"os"
	"strings"
	"testing"

	"github.com/cxloop/cxloop"
)

// TestTheDocsExampleSurveyLoads keeps docs/CATALOG.md honest: its "Add a survey" example, appended
// to the shipped catalog, must load.
func TestTheDocsExampleSurveyLoads(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/CATALOG.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "### Add a survey")
	if !ok {
		t.Fatal("docs/CATALOG.md has no \"Add a survey\" section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	block, _, _ := strings.Cut(rest, "```")
	_, survey, ok := strings.Cut(block, "# ... the existing surveys ...\n")
	if !ok {
		t.Fatal("the example lost its shape")
	}
	c, err := Load(append(append([]byte{}, cxloop.SurveysYAML...), survey...))
	if err != nil {
		t.Fatalf("the docs' example does not load:\n%v", err)
	}
	if _, ok := c.Survey("csat-delivery"); !ok {
		t.Fatal("the example survey is missing")
	}
}
