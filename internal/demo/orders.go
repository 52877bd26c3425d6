package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// De Spaak's orders in the built-in order store: the ones its demo
// conversations talk about, with the numbers used there, in the state the
// conversation left them in, so that the customer panel and the
// self-service actions have something true to show. Every order number a
// demo conversation names is here (TestSeedOrders).

type demoOrder struct {
	customer string
	number   string
	status   desk.OrderStatus
	daysAgo  int // placed
	items    []desk.OrderItem
	street   string
	postal   string
	carrier  string
	returned string // the return reason, for returned orders
}

const despaak = "https://despaak.example"

func bike(sku, name string, cents int64) desk.OrderItem {
	return desk.OrderItem{SKU: sku, Name: name, Qty: 1, PriceCents: cents}
}

func demoOrders() []demoOrder {
	urban := bike("SP-URBAN-E7", "Spaak Urban E7", 249900)
	return []demoOrder{
		{"jeroen", "100234", desk.OrderShipped, 60, []desk.OrderItem{urban}, "Biltstraat 88", "3572 BH", "PostNL", ""},
		{"willem", "100176", desk.OrderDelivered, 51, []desk.OrderItem{bike("SP-LIGHT-SET", "Fietsverlichting LED-set", 3495)}, "Wycker Brugstraat 5", "6221 ED", "PostNL", ""},
		{"willem", "100177", desk.OrderCancelled, 51, []desk.OrderItem{bike("SP-LIGHT-SET", "Fietsverlichting LED-set", 3495)}, "Wycker Brugstraat 5", "6221 ED", "", ""},
		{"kees", "100198", desk.OrderDelivered, 48, []desk.OrderItem{bike("SP-TOUR-8", "Spaak Tour 8", 124995), bike("SHIP-BIKE", "Verzending fiets", 3995)}, "Diezerstraat 40", "8011 RK", "De Spaak bezorgdienst", ""},
		{"sophie", "100247", desk.OrderPaid, 41, []desk.OrderItem{bike("SP-KIDS-20", "Spaak Kids 20 inch", 39900)}, "Lindelaan 14", "9712 AB", "", ""},
		{"emily", "100215", desk.OrderPaid, 39, []desk.OrderItem{bike("SP-CARGO-2", "Spaak Cargo 2", 389900)}, "Kade 7", "1011 AA", "", ""},
		{"ruben", "100261", desk.OrderReturned, 37, []desk.OrderItem{bike("SP-HELMET-M", "Fietshelm maat M", 5995)}, "Oude Delft 100", "2611 CD", "PostNL", "maat M is te klein"},
		{"lotte", "100208", desk.OrderDelivered, 40, []desk.OrderItem{bike("SP-CITY-7", "Spaak City 7", 89900)}, "Langestraat 21", "3811 AD", "De Spaak bezorgdienst", ""},
		{"maria", "100219", desk.OrderShipped, 34, []desk.OrderItem{bike("SP-CITY-7", "Spaak City 7", 89900)}, "Langestraat 60", "1811 JE", "De Spaak bezorgdienst", ""},
		{"maria", "100222", desk.OrderDelivered, 34, []desk.OrderItem{bike("SP-BAG-2", "Dubbele fietstas", 7495), bike("SP-BELL", "Fietsbel", 995)}, "Langestraat 60", "1811 JE", "PostNL", ""},
		{"iris", "100240", desk.OrderDelivered, 30, []desk.OrderItem{bike("SP-URBAN-E7", "Spaak Urban E7", 249900)}, "Stratumseind 3", "5611 EN", "De Spaak bezorgdienst", ""},
		{"hanna", "100266", desk.OrderPaid, 2, []desk.OrderItem{bike("SP-SEAT-KID", "Fietsstoeltje achter", 11995)}, "Heuvelstraat 12", "5038 AB", "", ""},
		{"pieter", "100205", desk.OrderReturned, 30, []desk.OrderItem{bike("SP-COMPUTER", "Fietscomputer GPS", 14995)}, "Lange Voorhout 9", "2514 EA", "PostNL", "werkt niet met mijn telefoon"},
		{"jan", "100270", desk.OrderPlaced, 1, []desk.OrderItem{bike("SP-TOUR-8", "Spaak Tour 8", 124995)}, "Brink 4", "7411 BR", "", ""},
		{"iris", "100112", desk.OrderDelivered, 200, []desk.OrderItem{bike("SP-CITY-7", "Spaak City 7", 89900)}, "Stratumseind 3", "5611 EN", "De Spaak bezorgdienst", ""},
		{"iris", "100189", desk.OrderDelivered, 90, []desk.OrderItem{bike("SP-BAG-2", "Dubbele fietstas", 7495)}, "Stratumseind 3", "5611 EN", "PostNL", ""},
		{"aisha", "100282", desk.OrderDelivered, 12, []desk.OrderItem{bike("SP-LOCK", "Kettingslot ART-3", 4995)}, "Laan van Meerdervoort 50", "2517 AM", "PostNL", ""},
		{"femke", "100291", desk.OrderDelivered, 6, []desk.OrderItem{bike("SP-CITY-7", "Spaak City 7", 89900)}, "Jansbinnensingel 2", "6811 AL", "De Spaak bezorgdienst", ""},
		{"jonas", "100284", desk.OrderDelivered, 10, []desk.OrderItem{urban, urban}, "Molenstraat 1", "6511 HA", "De Spaak bezorgdienst", ""},
		{"lisa", "100288", desk.OrderShipped, 3, []desk.OrderItem{bike("SP-HELMET-L", "Fietshelm maat L", 5995)}, "Hoofdstraat 120", "7311 BE", "DHL", ""},
		{"marco", "100276", desk.OrderDelivered, 16, []desk.OrderItem{bike("SP-PHONE", "Telefoonhouder", 2495)}, "Witte de Withstraat 30", "3012 BR", "PostNL", ""},
		{"milan", "100295", desk.OrderPaid, 2, []desk.OrderItem{bike("SP-TOUR-8", "Spaak Tour 8", 124995)}, "Oudegracht 200", "3511 NR", "", ""},
		{"milan", "100297", desk.OrderPlaced, 1, []desk.OrderItem{bike("SP-BAG-2", "Dubbele fietstas", 7495)}, "Oudegracht 200", "3511 NR", "", ""},
		{"noor", "100233", desk.OrderDelivered, 20, []desk.OrderItem{bike("SP-SADDLE", "Comfortzadel", 4495)}, "Lange Hezelstraat 8", "6511 CJ", "PostNL", ""},
		{"oliver", "100279", desk.OrderDelivered, 8, []desk.OrderItem{urban}, "Breestraat 70", "2311 CS", "DHL", ""},
		{"osman", "100143", desk.OrderDelivered, 330, []desk.OrderItem{urban}, "Witte de Withstraat 88", "3012 BS", "De Spaak bezorgdienst", ""},
		{"rik", "100254", desk.OrderReturned, 30, []desk.OrderItem{urban}, "Vismarkt 10", "9711 KT", "De Spaak bezorgdienst", "bedenktijd"},
		{"ruben", "100286", desk.OrderDelivered, 4, []desk.OrderItem{bike("SP-HELMET-L", "Fietshelm maat L", 5995)}, "Oude Delft 100", "2611 CD", "DHL", ""},
		{"thijs", "100251", desk.OrderDelivered, 14, []desk.OrderItem{bike("SP-TOUR-8", "Spaak Tour 8", 124995)}, "Ginnekenweg 5", "4818 JA", "De Spaak bezorgdienst", ""},
		{"yasmina", "100259", desk.OrderPaid, 30, []desk.OrderItem{bike("SP-CARGO-3", "Spaak Cargo 3", 429900)}, "Lange Nieuwstraat 3", "3512 PA", "", ""},
		{"zeynep", "100032", desk.OrderDelivered, 820, []desk.OrderItem{urban}, "Grote Markt 1", "9711 LV", "De Spaak bezorgdienst", ""},
	}
}

// seedOrders puts the demo orders in the built-in order store.
func (s *seeder) seedOrders(ctx context.Context) error {
	for _, d := range demoOrders() {
		c, ok := s.customers[d.customer]
		if !ok {
			return fmt.Errorf("order %s: no customer %s", d.number, d.customer)
		}
		placed := s.now.Add(-time.Duration(d.daysAgo)*day + 9*time.Hour)
		var total int64
		for _, it := range d.items {
			total += it.PriceCents * int64(it.Qty)
		}
		o := &desk.Order{ContactID: s.contacts[d.customer], Number: d.number, Status: d.status, Items: d.items,
			Currency: "EUR", TotalCents: total, Carrier: d.carrier, ReturnReason: d.returned,
			Address:  desk.Address{Name: c.Name, Street: d.street, PostalCode: d.postal, City: c.City, Country: "NL"},
			PlacedAt: placed, UpdatedAt: placed.Add(day)}
		// Femke wrote that her invoice never came.
		if d.status != desk.OrderPlaced && d.number != "100291" {
			o.InvoiceURL = despaak + "/facturen/" + d.number + ".pdf"
		}
		switch d.carrier {
		case "PostNL":
			o.TrackingURL = "https://jouw.postnl.nl/track-and-trace/3SDSPK" + d.number
		case "DHL":
			o.TrackingURL = "https://www.dhl.com/nl-nl/home/tracking.html?tracking-id=JVGL0" + d.number
		}
		if d.status == desk.OrderReturned {
			o.ReturnLabelURL = despaak + "/retour/" + d.number + "/label.pdf"
		}
		switch d.status {
		case desk.OrderShipped:
			o.UpdatedAt = s.now.Add(-2 * day) // still under way
		case desk.OrderDelivered, desk.OrderReturned:
			o.UpdatedAt = placed.Add(3 * day)
		}
		if err := s.st.PutOrder(ctx, o); err != nil {
			return fmt.Errorf("order %s: %w", d.number, err)
		}
	}
	return nil
}
