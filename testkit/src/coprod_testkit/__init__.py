"""Test doubles for coprod-connectors' own tests and benchmarks. Never published.

Kept out of every installed wheel (``.ci/run`` checks the core and connector wheels):

- :mod:`coprod_testkit.memory`: an in-memory platform and connector (``MemoryConnector``);
- :mod:`coprod_testkit.faults`: an httpx transport that injects faults (``FaultTransport``);
- :mod:`coprod_testkit.kobotoolbox_fake`: a fake KoboToolbox KPI (``FakeKpi``);
- :mod:`coprod_testkit.limesurvey_fake`: a fake LimeSurvey RemoteControl (``FakeLimeSurvey``);
- :mod:`coprod_testkit.limesurvey_cassettes`: vcrpy filters and a matcher for recording
  LimeSurvey traffic without secrets.

The answers the fakes serve come from the core's one synthetic generator,
:mod:`coprod_connectors.synthetic`.
"""
