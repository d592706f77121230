package awspage

import "context"

// Paginator is what every paginator of the AWS SDK for Go v2 offers: Out
// is the operation's output, O the service's Options.
type Paginator[Out, O any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*O)) (Out, error)
}

// All reads every page of p and returns the items of each, in order, as
// items picks them out of a page. It stops at the first error and returns
// it as the SDK gave it, for the caller to say which listing failed.
func All[Out, O, T any](ctx context.Context, p Paginator[Out, O], items func(Out) []T) ([]T, error) {
	var all []T
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return all, err
		}
		all = append(all, items(page)...)
	}
	return all, nil
}
