// Command bench measures cxloop and writes docs/PERFORMANCE.md and docs/performance-coldstart.svg
// (`make bench`): cold starts of every function against a hello-world and a naive baseline,
// DynamoDB request units of one complete survey, a cost model per million surveys, and scale
// figures against the local stack. Benchmarks report figures; they do not pass or fail.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/infra/local/stack"
)

// benchEnv is where the local stack is.
type benchEnv struct {
	DynamoDB, SES string
}

func main() {
	starts := flag.Int("starts", 20, "cold starts per binary and run")
	coldRuns := flag.Int("cold-runs", 3, "cold-start runs; the report gives the median of their p50s")
	scaleFor := flag.Duration("scale-for", defaultScaleFor, "how long each throughput run lasts")
	out := flag.String("out", "docs/PERFORMANCE.md", "report path, relative to the repository root")
	whatIfN := flag.Int("whatif-records", 1_000_000, "recorded touchpoints the what-if replay measurement generates")
	whatIfTable := flag.Int("whatif-table", 1000, "touchpoints seeded into DynamoDB Local to time loading the table (0: none)")
	whatIfSeed := flag.Int("whatif-seed", 0, "seed this many generated touchpoints into $TABLE_NAME (a what-if example) and exit")
	whatIfOnly := flag.Bool("whatif-only", false, "measure only the what-if replay and print its section (writes no report)")
	coldOnly := flag.Bool("cold-only", false, "measure only the cold starts and print their section (writes no report)")
	unitsOnly := flag.Bool("units-only", false, "measure only the request units per survey and print them with every DynamoDB call (writes no report)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root, err := stack.FindRoot()
	if err != nil {
		log.Fatal(err)
	}
	env := benchEnv{DynamoDB: os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), SES: os.Getenv("AWS_ENDPOINT_URL_SESV2")}
	if env.DynamoDB == "" || env.SES == "" {
		log.Fatal("AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SESV2 must point at the local stack: make up, then . .local/env (make bench does this)")
	}
	rep := &report{ColdRuns: *coldRuns}
	if rep.TablesAtStart, err = countTables(ctx, env.DynamoDB); err != nil {
		log.Fatalf("list DynamoDB Local's tables: %v", err)
	}
	if rep.TablesAtStart > staleTables {
		log.Printf("warning: DynamoDB Local holds %d tables from earlier runs; it answers several times slower "+
			"than a fresh one: make down && make bench measures on a fresh stack", rep.TablesAtStart)
	}
	if *whatIfSeed > 0 {
		if err := SeedTable(ctx, os.Getenv("TABLE_NAME"), *whatIfSeed); err != nil {
			log.Fatalf("what-if seed: %v", err)
		}
		fmt.Printf("seeded %d touchpoints into %s\n", *whatIfSeed, os.Getenv("TABLE_NAME"))
		return
	}
	if *whatIfOnly {
		if err := measureWhatIf(ctx, rep, *whatIfN, *whatIfTable); err != nil {
			log.Fatalf("what-if: %v", err)
		}
		var b strings.Builder
		rep.writeWhatIf(&b)
		fmt.Print(b.String())
		return
	}
	if *unitsOnly {
		rep.trace = true
		if err := measureSurvey(ctx, rep); err != nil {
			log.Fatalf("request units: %v", err)
		}
		var b strings.Builder
		rep.writeUnits(&b)
		rep.writeTrace(&b)
		fmt.Print(b.String())
		return
	}
	log.Printf("cold starts: %d per binary", *starts)
	if rep.Cold, err = coldStarts(ctx, root, env, *starts, *coldRuns); err != nil {
		log.Fatalf("cold starts: %v", err)
	}
	if *coldOnly {
		var b strings.Builder
		rep.writeCold(&b)
		fmt.Print(b.String())
		return
	}
	if err := measureSurvey(ctx, rep); err != nil {
		log.Fatalf("request units: %v", err)
	}
	if err := measureThemes(ctx, rep, root); err != nil {
		log.Fatalf("themes: %v", err)
	}
	if err := measureScale(ctx, rep, *scaleFor); err != nil {
		log.Fatalf("scale: %v", err)
	}
	if err := measureWhatIf(ctx, rep, *whatIfN, *whatIfTable); err != nil {
		log.Fatalf("what-if: %v", err)
	}
	path := filepath.Join(root, *out)
	if err := rep.write(path); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", path)
}

// staleTables is the number of tables past which DynamoDB Local is taken to have served the test
// suites (each test makes a table of its own): in memory, it then answers several times slower
// (a bench on such a stack measured the touchpoint at 124 ms warm; on a fresh one, 25 ms).
const staleTables = 10

// countTables counts DynamoDB Local's tables.
func countTables(ctx context.Context, endpoint string) (int, error) {
	p := dynamodb.NewListTablesPaginator(stack.Client(endpoint), &dynamodb.ListTablesInput{})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(page.TableNames)
	}
	return n, nil
}
