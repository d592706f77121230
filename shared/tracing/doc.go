// Package tracing is the only place that knows how selfaudit traces.
// Everything else asks it to instrument an aws.Config.
//
// Inside Lambda it records an X-Ray subsegment per AWS SDK call (see XRay)
// with the X-Ray SDK's header and daemon-address packages; elsewhere it
// does nothing. The X-Ray SDK for Go is in maintenance mode (end of
// support 2027-02-25) and AWS recommends OpenTelemetry instead; the small
// Tracer interface lets an OpenTelemetry tracer replace this one without
// touching any function or engine.
package tracing
