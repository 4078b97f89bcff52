package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
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
