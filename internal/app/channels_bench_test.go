package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// BenchmarkWhatsAppWebhook measures webhook ingest through the whole
// server: signed WhatsApp message events over HTTP, each checked
// (X-Hub-Signature-256) and stored (contact, conversation, message), from
// many customers at once. It reports requests per second.
func BenchmarkWhatsAppWebhook(b *testing.B) {
	for _, o := range testenv.Stores() {
		b.Run(o.Name, func(b *testing.B) {
			st := o.Open(b)
			a, err := Assemble(st, Config{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			ctx := context.Background()
			in := &desk.Inbox{Name: "WhatsApp", Channel: desk.ChannelWhatsApp, PublicKey: "wabench",
				Settings: map[string]string{"phone_number_id": "1234", "access_token": "x", "app_secret": "bench-secret", "verify_token": "v"}}
			if err := a.Store.CreateInbox(ctx, in); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(8)
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
						"messaging_product":"whatsapp","metadata":{"display_phone_number":"31201234567","phone_number_id":"1234"},
						"contacts":[{"profile":{"name":"Klant %[1]d"},"wa_id":"316%08[1]d"}],
						"messages":[{"from":"316%08[1]d","id":"wamid.bench%[1]d","timestamp":"1700000000","type":"text","text":{"body":"Waar blijft bestelling %[1]d?"}}]}}]}]}`, i%5000)
					m := hmac.New(sha256.New, []byte("bench-secret"))
					m.Write([]byte(body))
					req, _ := http.NewRequest("POST", srv.URL+"/hooks/whatsapp/wabench", strings.NewReader(body))
					req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
