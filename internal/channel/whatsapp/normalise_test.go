package whatsapp

import (
	"encoding/json"
	"testing"
)

// FuzzNormalise feeds arbitrary webhook bodies through decoding and
// normalisation: nothing may panic, and stored content is never empty.
func FuzzNormalise(f *testing.F) {
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"text","text":{"body":"hoi"}}]}}]}]}`))
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"edit","edit":{"message":{"type":"location","location":{"latitude":52.37,"longitude":4.89}}}}]}}]}]}`))
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{"response_json":"{\"a\":[1,{\"b\":null}]}"}}}]}}]}]}`))
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"type":"order","order":{"product_items":[{"quantity":1e400}]}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p payload
		if json.Unmarshal(data, &p) != nil {
			return
		}
		for _, e := range p.Entry {
			for _, ch := range e.Changes {
				var v messagesValue
				if json.Unmarshal(ch.Value, &v) != nil {
					continue
				}
				for _, m := range v.Messages {
					c := normalise(m)
					if c.skip == "" && c.body == "" && c.media == nil {
						t.Errorf("message %+v normalised to nothing without a reason", m)
					}
				}
			}
		}
	})
}
