"""Test doubles for coprod-connectors' own tests and benchmarks. Never published.

Kept out of every installed wheel (``.ci/run`` checks the connector wheels):

- :mod:`coprod_testkit.kobotoolbox_fake`: a fake KoboToolbox KPI (``FakeKpi``);
- :mod:`coprod_testkit.limesurvey_fake`: a fake LimeSurvey RemoteControl (``FakeLimeSurvey``);
- :mod:`coprod_testkit.limesurvey_cassettes`: vcrpy filters and a matcher for recording
  LimeSurvey traffic without secrets.

The answers the fakes serve come from the core's one synthetic generator,
:mod:`coprod_connectors.synthetic`.
"""
