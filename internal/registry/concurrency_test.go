package registry

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// Concurrent registrations of the same and of different schemas agree on
// ids: one id per distinct schema, the same id for every caller.
func TestConcurrentRegistrations(t *testing.T) {
	_, cl := startRegistry(t, Config{DefaultCompatibility: None})
	schemas := make([]string, 5)
	for i := range schemas {
		schemas[i] = fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"a","type":"int"}]}`, i)
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[int]map[int]bool{} // schema index -> ids seen
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, s := range schemas {
				subject := fmt.Sprintf("subject-%d-value", (g+i)%3)
				id, err := cl.RegisterSchema(t.Context(), subject, avroSchema(s), -1, -1)
				if err != nil {
					t.Errorf("register: %v", err)
					return
				}
				mu.Lock()
				if ids[i] == nil {
					ids[i] = map[int]bool{}
				}
				ids[i][id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seen := map[int]int{}
	for i, set := range ids {
		if len(set) != 1 {
			t.Fatalf("schema %d got ids %v, want one", i, set)
		}
		for id := range set {
			if j, dup := seen[id]; dup {
				t.Fatalf("schemas %d and %d share id %d", i, j, id)
			}
			seen[id] = i
		}
	}
}

func TestStartStopsWithContext(t *testing.T) {
	reg, err := New(t.Context(), Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx, cancel := context.WithCancel(t.Context())
	if err := reg.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := reg.Start(ctx, "127.0.0.1:0"); err == nil {
		t.Fatal("a second Start succeeded")
	}
	url := reg.URL()
	resp, err := http.Get(url + "/subjects")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	<-reg.done // Serve returned: the context shut the server down
	if resp, err := http.Get(url + "/subjects"); err == nil {
		resp.Body.Close()
		t.Fatal("registry still serving after its context ended")
	}
}
