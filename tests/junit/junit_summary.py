#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Read a JUnit XML report the way CI does (an XML parser, no schema) and
print what a CI server would show: the totals, each failure, error and
skip, and the properties. Exit 1 when the totals disagree with the cases."""
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
if root.tag != "testsuites":
    sys.exit("root element is %s, not testsuites" % root.tag)
for suite in root.findall("testsuite"):
    cases = suite.findall("testcase")
    counts = {k: 0 for k in ("failure", "error", "skipped")}
    for case in cases:
        for kind in counts:
            el = case.find(kind)
            if el is not None:
                counts[kind] += 1
                print("%s %s type=%s" % (kind, case.get("name"),
                                         el.get("type", "")))
        float(case.get("time"))  # CI parses it as a number
    for kind, attr in (("failure", "failures"), ("error", "errors"),
                       ("skipped", "skipped")):
        if int(suite.get(attr)) != counts[kind]:
            sys.exit("%s=%s but %d cases" % (attr, suite.get(attr),
                                              counts[kind]))
    if int(suite.get("tests")) != len(cases):
        sys.exit("tests=%s but %d cases" % (suite.get("tests"), len(cases)))
    print("suite %s tests=%s failures=%s errors=%s skipped=%s time=%s" % (
        suite.get("name"), suite.get("tests"), suite.get("failures"),
        suite.get("errors"), suite.get("skipped"), suite.get("time")))
    for prop in suite.iter("property"):
        print("property %s=%s" % (prop.get("name"), prop.get("value")))
