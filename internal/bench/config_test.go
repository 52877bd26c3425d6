package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Config
		wantErr string
	}{
		{
			name: "defaults",
			args: []string{"--token", "tok"},
			want: Config{Target: defaultTarget, Token: "tok", Phases: allPhases, N: 10000, Seed: 1, Duration: 30 * time.Second},
		},
		{
			name: "everything",
			args: []string{"--target", "http://localhost:9999", "--token", "t", "--phase", "w3", "--n", "50",
				"--c", "1, 4,16", "--seed", "42", "--duration", "5s", "--out", "r.json"},
			want: Config{Target: "http://localhost:9999", Token: "t", Phases: []string{"W3"}, N: 50,
				C: []int{1, 4, 16}, Seed: 42, Duration: 5 * time.Second, OutFile: "r.json"},
		},
		{
			name: "phase list",
			args: []string{"--phase", "W1,W2"},
			want: Config{Target: defaultTarget, Phases: []string{"W1", "W2"}, N: 10000, Seed: 1, Duration: 30 * time.Second},
		},
		{
			name: "all",
			args: []string{"--phase", "all", "--target", "http://[::1]:8080"},
			want: Config{Target: "http://[::1]:8080", Phases: allPhases, N: 10000, Seed: 1, Duration: 30 * time.Second},
		},
		{name: "unknown phase", args: []string{"--phase", "W5"}, wantErr: `phase "W5"`},
		{name: "bad concurrency", args: []string{"--c", "8,x"}, wantErr: `concurrency "x"`},
		{name: "zero concurrency", args: []string{"--c", "0"}, wantErr: `concurrency "0"`},
		{name: "negative n", args: []string{"--n", "-1"}, wantErr: "n -1"},
		{name: "remote target", args: []string{"--target", "http://example.com"}, wantErr: "only loopback"},
		{name: "private address", args: []string{"--target", "http://10.0.0.1:8080"}, wantErr: "only loopback"},
		{name: "not http", args: []string{"--target", "ftp://127.0.0.1"}, wantErr: "http://"},
		{name: "unknown flag", args: []string{"--bogus"}, wantErr: "bogus"},
		{name: "stray argument", args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFlags(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFlags(%q): %v", tt.args, err)
			}
			if got.Target != tt.want.Target || got.Token != tt.want.Token || !slices.Equal(got.Phases, tt.want.Phases) ||
				got.N != tt.want.N || !slices.Equal(got.C, tt.want.C) || got.Seed != tt.want.Seed ||
				got.Duration != tt.want.Duration || got.OutFile != tt.want.OutFile {
				t.Errorf("ParseFlags(%q) = %+v, want %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestNormalized(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		wantPhases []string
		wantErr    string
	}{
		{name: "empty phases mean all", cfg: Config{Token: "t"}, wantPhases: allPhases},
		{name: "canonical order", cfg: Config{Token: "t", Phases: []string{"W3", "w1"}}, wantPhases: []string{"W1", "W3"}},
		{name: "token required", cfg: Config{}, wantErr: "token"},
		{name: "remote target refused", cfg: Config{Token: "t", Target: "https://192.0.2.1"}, wantErr: "only loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.normalized()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("normalized() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("normalized(): %v", err)
			}
			if !slices.Equal(got.Phases, tt.wantPhases) {
				t.Errorf("phases = %q, want %q", got.Phases, tt.wantPhases)
			}
			if got.N != defaultN || got.Duration != defaultDuration || got.Target != defaultTarget {
				t.Errorf("defaults not applied: %+v", got)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	def := Config{}
	if got := def.levels("W3"); !slices.Equal(got, []int{1, 8}) {
		t.Errorf("default W3 levels = %v, want [1 8]", got)
	}
	if got := def.levels("W1"); !slices.Equal(got, []int{8, 32}) {
		t.Errorf("default W1 levels = %v, want [8 32]", got)
	}
	over := Config{C: []int{4}}
	if got := over.levels("W2"); !slices.Equal(got, []int{4}) {
		t.Errorf("overridden W2 levels = %v, want [4]", got)
	}
}
