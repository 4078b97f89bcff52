package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

type model struct {
	Metadata struct {
		APIVersion   string `json:"apiVersion"`
		JSONVersion  string `json:"jsonVersion"`
		Protocol     string `json:"protocol"`
		ServiceID    string `json:"serviceId"`
		TargetPrefix string `json:"targetPrefix"`
	} `json:"metadata"`
	Operations map[string]*operation `json:"operations"`
	Shapes     map[string]*shape     `json:"shapes"`
	// overlay is the base name of the overlay file applied, if any.
	overlay string
}

type operation struct {
	Name   string `json:"name"`
	Input  *ref   `json:"input"`
	Output *ref   `json:"output"`
	Errors []ref  `json:"errors"`
}

type ref struct {
	Shape             string `json:"shape"`
	Documentation     string `json:"documentation"`
	LocationName      string `json:"locationName"`
	JSONName          string `json:"jsonName"`
	Deprecated        bool   `json:"deprecated"`
	DeprecatedMessage string `json:"deprecatedMessage"`
}

type shape struct {
	Type              string          `json:"type"`
	Members           map[string]*ref `json:"members"`
	Required          []string        `json:"required"`
	Member            *ref            `json:"member"`
	Key               *ref            `json:"key"`
	Value             *ref            `json:"value"`
	Enum              []string        `json:"enum"`
	Exception         bool            `json:"exception"`
	Document          bool            `json:"document"`
	Min               *json.Number    `json:"min"`
	Max               *json.Number    `json:"max"`
	Pattern           string          `json:"pattern"`
	Documentation     string          `json:"documentation"`
	Deprecated        bool            `json:"deprecated"`
	DeprecatedMessage string          `json:"deprecatedMessage"`
}

func loadModel(path string) (*model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var m model
	dec := json.NewDecoder(r)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(m.Shapes) == 0 || len(m.Operations) == 0 {
		return nil, fmt.Errorf("%s: no shapes or operations; is this a botocore service-2 model?", path)
	}
	for name, op := range m.Operations {
		if op.Name == "" {
			op.Name = name
		}
	}
	return &m, nil
}

// ---------------------------------------------------------------------------
// Generator

// overlayFile is the format of -overlay: shapes in the model's own format.
type overlayFile struct {
	Shapes map[string]*shape `json:"shapes"`
}

// applyOverlay adds the shapes of the overlay file at path to m. A shape
// the model lacks is added whole. A structure the model has gains the
// overlay's members (and their required flags). Anything the model already
// defines is an error: the overlay is for what botocore lacks, and an entry
// botocore has caught up with must be deleted, not silently shadowed.
func applyOverlay(m *model, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var o overlayFile
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, name := range sortedKeys(o.Shapes) {
		add := o.Shapes[name]
		have, ok := m.Shapes[name]
		if !ok {
			m.Shapes[name] = add
			continue
		}
		if have.Type != "structure" || add.Type != "structure" {
			return fmt.Errorf("%s: shape %s is already in the model; remove it from the overlay", path, name)
		}
		if have.Members == nil {
			have.Members = map[string]*ref{}
		}
		for _, mn := range sortedKeys(add.Members) {
			if _, dup := have.Members[mn]; dup {
				return fmt.Errorf("%s: %s.%s is already in the model; remove it from the overlay", path, name, mn)
			}
			have.Members[mn] = add.Members[mn]
		}
		have.Required = append(have.Required, add.Required...)
	}
	m.overlay = filepath.Base(path)
	return nil
}
