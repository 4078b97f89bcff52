package arn

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantType string
		wantPath string
		wantErr  error
	}{
		{name: "cluster", in: "arn:aws:ecs:us-east-1:000000000000:cluster/default", wantType: "cluster", wantPath: "default"},
		{name: "task definition keeps the revision colon", in: "arn:aws:ecs:us-east-1:1:task-definition/web:3", wantType: "task-definition", wantPath: "web:3"},
		{name: "task has cluster and id", in: "arn:aws:ecs:r:1:task/c/abc", wantType: "task", wantPath: "c/abc"},
		{name: "iam root has empty region", in: "arn:aws:iam::1:root", wantType: "root", wantPath: ""},
		{name: "bare name", in: "default", wantErr: ErrInvalid},
		{name: "too few fields", in: "arn:aws:ecs:r:1", wantErr: ErrInvalid},
		{name: "empty resource", in: "arn:aws:ecs:r:1:", wantErr: ErrInvalid},
		{name: "wrong scheme", in: "urn:aws:ecs:r:1:cluster/x", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if a.Type() != tt.wantType || a.Path() != tt.wantPath {
				t.Errorf("Parse(%q) = type %q path %q, want %q %q", tt.in, a.Type(), a.Path(), tt.wantType, tt.wantPath)
			}
			if a.String() != tt.in {
				t.Errorf("String() = %q, want %q", a.String(), tt.in)
			}
		})
	}
}

func TestBuilder(t *testing.T) {
	b := Builder{Region: "us-east-1", Account: "000000000000"}
	tests := []struct{ name, got, want string }{
		{"cluster", b.Cluster("default"), "arn:aws:ecs:us-east-1:000000000000:cluster/default"},
		{"task definition", b.TaskDefinition("web", 3), "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3"},
		{"task", b.Task("c", "f4cd"), "arn:aws:ecs:us-east-1:000000000000:task/c/f4cd"},
		{"service", b.Service("c", "web"), "arn:aws:ecs:us-east-1:000000000000:service/c/web"},
		{"root", b.RootPrincipal(), "arn:aws:iam::000000000000:root"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestOwns(t *testing.T) {
	b := Builder{Region: "us-east-1", Account: "000000000000"}
	tests := []struct {
		name string
		arn  string
		want bool
	}{
		{"own cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/x", true},
		{"other region", "arn:aws:ecs:eu-west-1:000000000000:cluster/x", false},
		{"other account", "arn:aws:ecs:us-east-1:111111111111:cluster/x", false},
		{"other service", "arn:aws:iam::000000000000:root", false},
		{"other partition", "arn:aws-cn:ecs:us-east-1:000000000000:cluster/x", false},
	}
	for _, tt := range tests {
		a, err := Parse(tt.arn)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Owns(a); got != tt.want {
			t.Errorf("%s: Owns(%s) = %v, want %v", tt.name, tt.arn, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"arn:aws:ecs:r:1:cluster/x", "arn:::::", "default", "arn:aws:ecs:r:1:task-definition/a:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if got := a.String(); got != s {
			t.Fatalf("round trip %q → %q", s, got)
		}
	})
}
