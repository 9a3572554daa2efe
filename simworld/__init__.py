"""The simulated world: a seeded simulator of Korean customs traffic and what only it can know
(the truth of every item, lift against the rules, the KCS evaluation). Used by the demo, tests and
benchmarks; production code never imports it (it plugs in through ``ml.oracle``)."""
