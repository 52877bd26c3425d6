package auth

import (
	"context"
	"testing"
)

// BenchmarkTokenAgent measures the cached API-token path that every API
// call takes.
func BenchmarkTokenAgent(b *testing.B) {
	s, _, _, ann := newTestService(b, Options{})
	plain, _, err := s.CreateToken(context.Background(), ann.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := s.TokenAgent(ctx, plain); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkHashPasswordDefault measures one login's argon2 cost with the
// default parameters.
func BenchmarkHashPasswordDefault(b *testing.B) {
	h, err := HashPassword(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		CheckPassword(h, testPassword)
	}
}
