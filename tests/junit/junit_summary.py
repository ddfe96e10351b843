#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Read a JUnit XML report the way CI servers do — with junitparser
(Debian's python3-junitparser), no schema — and print what a CI server
would show: each suite with its totals, each test case with its outcome
and line, and the properties. Exit 1 when the totals disagree with the
cases, or when one file holds two suites of one name or two cases of one
classname and name in a suite (CI servers merge or drop those)."""
import sys

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

xml = JUnitXml.fromfile(sys.argv[1])
if isinstance(xml, TestSuite):
    sys.exit("root element is testsuite, not testsuites")
names = set()
for suite in xml:
    if suite.name in names:
        sys.exit("two suites named %s" % suite.name)
    names.add(suite.name)
    counts = {Failure: 0, Error: 0, Skipped: 0}
    cases = set()
    n = 0
    for case in suite:
        n += 1
        key = (case.classname, case.name)
        if key in cases:
            sys.exit("two cases %s %s in suite %s" % (key + (suite.name,)))
        cases.add(key)
        kind, typ = "passed", ""
        for result in case.result:
            for k in counts:
                if isinstance(result, k):
                    counts[k] += 1
                    kind = k.__name__.lower()
                    typ = result.type or ""
        props = case._elem.find("properties")
        line = ""
        if props is not None:
            for p in props.findall("property"):
                if p.get("name") == "line":
                    line = p.get("value")
        float(case.time)  # CI parses it as a number
        print("case %s | %s | %s | line=%s | type=%s" % (
            suite.name, case.name, kind, line, typ))
        if kind != "passed":
            print("%s %s type=%s" % (kind, case.name, typ))
    for kind, attr in ((Failure, "failures"), (Error, "errors"),
                       (Skipped, "skipped")):
        if int(getattr(suite, attr)) != counts[kind]:
            sys.exit("%s=%s but %d cases" % (attr, getattr(suite, attr),
                                              counts[kind]))
    if int(suite.tests) != n:
        sys.exit("tests=%s but %d cases" % (suite.tests, n))
    print("suite %s tests=%s failures=%s errors=%s skipped=%s time=%.3f" % (
        suite.name, suite.tests, suite.failures, suite.errors,
        suite.skipped, float(suite.time)))
    for prop in suite.properties():
        print("property %s=%s" % (prop.name, prop.value))
