package sqlite_test

import (
	"context"
	"testing"
)

func BenchmarkTmpReads(b *testing.B) {
	s := openTemp(b)
	defer s.Close()
	f := newBenchFixture(b, s, 100)
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"bg", context.Background()}, {"cancellable", cctx}} {
		b.Run("conv/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.ConversationByID(tc.ctx, f.convs[i%len(f.convs)].ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("contact/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.ContactByID(tc.ctx, f.convs[i%len(f.convs)].ContactID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
