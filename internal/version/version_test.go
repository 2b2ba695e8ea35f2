package version

import (
	"os"
	"regexp"
	"testing"
)

func TestMatchesGalaxy(t *testing.T) {
	data, err := os.ReadFile("../../galaxy.yml")
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `:\s*"?([^"\s]+)"?\s*$`).FindSubmatch(data)
		if m == nil {
			t.Fatalf("galaxy.yml has no %s field", name)
		}
		return string(m[1])
	}
	if got := field("version"); got != Collection {
		t.Errorf("galaxy.yml version %s, version.Collection %s: update internal/version when releasing", got, Collection)
	}
	if got := field("namespace") + "." + field("name"); got != Name {
		t.Errorf("galaxy.yml names %s, version.Name %s", got, Name)
	}
}
