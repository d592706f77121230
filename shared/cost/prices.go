package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:embed prices.json
var pricesJSON []byte

// Prices are the list prices the model uses. They change rarely and by
// region, so they live in prices.json rather than in code; ReadOn says when
// they were taken from the pricing pages so a reader can tell how stale
// they are.
type Prices struct {
	ReadOn   string   `json:"readOn"`
	Region   string   `json:"region"`
	Currency string   `json:"currency"`
	Sources  []string `json:"sources"`
	Notes    string   `json:"notes"`
	Lambda   struct {
		GBSecondUSD                map[Arch]float64 `json:"gbSecondUSD"`
		RequestsPerMillionUSD      float64          `json:"requestsPerMillionUSD"`
		BillingGranularityMs       float64          `json:"billingGranularityMs"`
		LegacyBillingGranularityMs float64          `json:"legacyBillingGranularityMs"`
		FreeTier                   struct {
			RequestsPerMonth  float64 `json:"requestsPerMonth"`
			GBSecondsPerMonth float64 `json:"gbSecondsPerMonth"`
		} `json:"freeTier"`
	} `json:"lambda"`
	Logs struct {
		IngestionPerGBUSD    float64 `json:"ingestionPerGBUSD"`
		StoragePerGBMonthUSD float64 `json:"storagePerGBMonthUSD"`
	} `json:"logs"`
}

// ParsePrices reads a prices document in the format of prices.json and
// checks that every figure the model needs is present.
func ParsePrices(b []byte) (Prices, error) {
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil {
		return Prices{}, fmt.Errorf("parse prices: %w", err)
	}
	switch {
	case p.ReadOn == "":
		return Prices{}, fmt.Errorf("parse prices: readOn date missing")
	case p.Lambda.GBSecondUSD[X86_64] <= 0 || p.Lambda.GBSecondUSD[ARM64] <= 0:
		return Prices{}, fmt.Errorf("parse prices: GB-second price missing for x86_64 or arm64")
	case p.Lambda.RequestsPerMillionUSD <= 0:
		return Prices{}, fmt.Errorf("parse prices: request price missing")
	case p.Lambda.BillingGranularityMs <= 0 || p.Lambda.LegacyBillingGranularityMs <= 0:
		return Prices{}, fmt.Errorf("parse prices: billing granularity missing")
	case p.Logs.IngestionPerGBUSD <= 0 || p.Logs.StoragePerGBMonthUSD <= 0:
		return Prices{}, fmt.Errorf("parse prices: CloudWatch Logs prices missing")
	}
	return p, nil
}

// Default returns the embedded price list (us-east-1, first tier), parsed
// on first use rather than at package initialisation, which every cold
// start of a function linking this package would pay. The file is part of
// the binary, so a broken one is a build defect, which TestDefaultPrices
// catches before it can ship.
var Default = sync.OnceValue(mustDefault)

func mustDefault() Prices {
	p, err := ParsePrices(pricesJSON)
	if err != nil {
		panic("cost: embedded prices.json is invalid: " + err.Error())
	}
	return p
}
