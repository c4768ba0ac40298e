package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// TestPlainTreeIsWhatYAMLDecodes: the tree readFile builds itself from the
// parsed nodes is the one yaml.Unmarshal gives, for every project file of
// the tests, the sample and the fuzz corpus it takes (files it does not
// take go through the library).
func TestPlainTreeIsWhatYAMLDecodes(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*/*.yml")
	more, _ := filepath.Glob("../sampledata/project/*.yml")
	res, _ := filepath.Glob("../sampledata/project/resources/*.yml")
	files = append(append(files, more...), res...)
	fuzz, _ := filepath.Glob("testdata/fuzz/FuzzLoad/*")
	taken := 0
	check := func(name string, data []byte) {
		f, err := safeParse(data)
		if err != nil {
			return
		}
		body := firstDocument(f)
		if body == nil {
			return
		}
		got, ok := plainTree(body)
		if !ok {
			return
		}
		taken++
		var want map[string]any
		if err := safeUnmarshal(data, &want); err != nil {
			t.Errorf("%s: plainTree took a file yaml.Unmarshal refuses: %v", name, err)
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: plainTree\n%#v\nyaml.Unmarshal\n%#v", name, got, want)
		}
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		check(file, data)
	}
	for _, file := range fuzz {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// A go test fuzz v1 file: []byte("...") on the second line.
		if _, arg, ok := bytes.Cut(data, []byte("[]byte(")); ok {
			if v, err := strconv.Unquote(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(arg), []byte(")"))))); err == nil {
				check(file, []byte(v))
			}
		}
	}
	check("inline", []byte("a: \">\"\nb: [1, -2, 3.5, true, null, 'x: y']\nc: {d: 18446744073709551615}\n"))
	if taken < 10 {
		t.Fatalf("plainTree took only %d files", taken)
	}
}
