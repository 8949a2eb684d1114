using Xunit;

// The simulators under test run their listeners, sessions and physics ticks on whatever context started them.
// With a bounded thread count, xunit funnels every continuation through a two-thread context (on two cores), so
// one test building a WebApplication synchronously could stall another test's Modbus responses past their
// timeouts. Unlimited threads mean no such context: continuations run on the thread pool, as in the real process.
[assembly: CollectionBehavior(MaxParallelThreads = -1)]
