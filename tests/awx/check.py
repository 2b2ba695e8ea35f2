#!/usr/bin/env python3
"""Validate collection/awx/ (AWX as code) without a controller.

AWX cannot run here (no PostgreSQL/receptor/containers from the package
registries), so this checks what can be checked for real:

1. Every task of configure.yml is run by ansible-playbook (--start-at-task)
   with the real awx.awx modules (24.6.1, from the `ansible` package on PyPI,
   see fetch-collection.sh) against a controller address where nothing
   listens: a task passes when the module accepted its arguments (its own
   argument spec: names, types, choices) and failed only on the connection.
2. The workflow's nodes against the workflow_job_template module's documented
   suboptions (the module's argument spec does not check them; the server
   would), and the graph plan -> approval -> rollout.
3. Every survey against AWX's own survey validation rules
   (JobTemplateSurveySpec._validate_spec_data in awx/api/views), every survey
   variable against the collection's argument specs, and the workflow survey
   never asking for the plan (workflow extra variables win over artifacts).
4. Every job template's playbook exists, and the plan job's playbook
   publishes the plan as the artifact the rollout job reads.

Usage: check.py COLLECTIONS_PATH   (prints one line per check, then a total)
"""
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AWX_DIR = os.path.join(ROOT, "collection", "awx")
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def module_doc(collections, module):
    path = os.path.join(collections, "ansible_collections", "awx", "awx", "plugins", "modules", module + ".py")
    with open(path, encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"DOCUMENTATION = (?:r)?'''(.*?)'''", src, re.S)
    return yaml.safe_load(m.group(1))


def tasks_of(playbook):
    out = []
    for play in load(playbook):
        out.extend(play.get("tasks", []))
    return out


def run_each_task(collections):
    env = dict(os.environ, CONTROLLER_HOST="https://127.0.0.1:1", CONTROLLER_VERIFY_SSL="false",
               ANSIBLE_COLLECTIONS_PATH=collections + os.pathsep + os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
               ANSIBLE_NOCOLOR="1")
    pb = os.path.join(AWX_DIR, "configure.yml")
    for task in tasks_of(pb):
        module = next(k for k in task if k.startswith("awx.awx."))
        proc = subprocess.run(
            [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), pb, "--start-at-task", task["name"],
             "-e", "ansible_python_interpreter=" + os.path.join(ROOT, ".venv", "bin", "python"),
             "-e", "cpu_flags_awx_drift_rrule='DTSTART:20250101T060000Z RRULE:FREQ=DAILY;INTERVAL=1'",
             "-e", "cpu_flags_awx_execution_environment=cpu_flags EE"],
            env=env, capture_output=True, text=True, timeout=300)
        out = proc.stdout + proc.stderr
        ran = ("TASK [%s]" % task["name"]) in out
        refused = "Connection refused" in out and "failed=1" in out
        check("%s (%s): the real module accepts its arguments" % (task["name"], module), ran and refused,
              (out[-1500:] if not (ran and refused) else ""))


def check_suboptions(where, value, spec, errors):
    """Check a value against documented suboptions, recursively."""
    if not isinstance(value, dict):
        errors.append("%s: want a dict, got %r" % (where, value))
        return
    for key, v in value.items():
        if key not in spec:
            errors.append("%s: %r is not an option (options: %s)" % (where, key, ", ".join(sorted(spec))))
            continue
        opt = spec[key]
        sub = opt.get("suboptions")
        if opt.get("type") == "list" and isinstance(v, list) and sub:
            for i, e in enumerate(v):
                check_suboptions("%s.%s[%d]" % (where, key, i), e, sub, errors)
        elif opt.get("type") == "dict" and sub:
            check_suboptions("%s.%s" % (where, key), v, sub, errors)
        elif "choices" in opt and v not in opt["choices"]:
            errors.append("%s.%s: %r not in %s" % (where, key, v, opt["choices"]))
    for key, opt in spec.items():
        if opt.get("required") and key not in value:
            errors.append("%s: %s is required" % (where, key))


def check_workflow(collections):
    tasks = tasks_of(os.path.join(AWX_DIR, "configure.yml"))
    jts = {t["awx.awx.job_template"]["name"]: t["awx.awx.job_template"] for t in tasks if "awx.awx.job_template" in t}
    wf = next(t["awx.awx.workflow_job_template"] for t in tasks if "awx.awx.workflow_job_template" in t)
    spec = module_doc(collections, "workflow_job_template")["options"]["workflow_nodes"]["suboptions"]
    errors = []
    for i, node in enumerate(wf["workflow_nodes"]):
        check_suboptions("workflow_nodes[%d]" % i, node, spec, errors)
    check("workflow nodes use only the options workflow_job_template documents", not errors, "; ".join(errors))

    nodes = {n["identifier"]: n for n in wf["workflow_nodes"]}
    check("node identifiers are unique", len(nodes) == len(wf["workflow_nodes"]))
    links = [(n["identifier"], rel, s["identifier"]) for n in wf["workflow_nodes"]
             for rel, succ in n.get("related", {}).items() if rel.endswith("_nodes") for s in succ]
    dangling = [l for l in links if l[2] not in nodes]
    check("every related node exists", not dangling, str(dangling))
    check("the graph is plan -(success)-> approval -(success)-> rollout, nothing else",
          sorted(links) == [("approve", "success_nodes", "rollout"), ("plan", "success_nodes", "approve")], str(links))
    ujt = {k: n["unified_job_template"] for k, n in nodes.items()}
    check("the approval node is an approval with a timeout",
          ujt["approve"]["type"] == "workflow_approval" and "timeout" in ujt["approve"], str(ujt["approve"]))
    for ident in ("plan", "rollout"):
        check("node %s runs a job template this playbook creates" % ident,
              ujt[ident]["type"] == "job_template" and ujt[ident]["name"] in jts, str(ujt[ident]))
    plan_jt, roll_jt = jts[ujt["plan"]["name"]], jts[ujt["rollout"]["name"]]
    check("the plan job runs in check mode with --diff", plan_jt.get("job_type") == "check" and plan_jt.get("diff_mode") is True)
    check("the rollout job runs for real", roll_jt.get("job_type") == "run")
    for name, jt in jts.items():
        check("job template %s: its playbook %s exists in the project" % (name, jt["playbook"]),
              os.path.isfile(os.path.join(ROOT, jt["playbook"])))
    check("the rollout job's playbook refuses to run without the plan",
          "cpu_flags_rollout_plan is defined" in open(os.path.join(ROOT, roll_jt["playbook"]), encoding="utf-8").read())
    site = load(os.path.join(ROOT, "playbooks", "site.yml"))
    stats = [t["ansible.builtin.set_stats"]["data"] for p in site for t in p.get("tasks", []) if "ansible.builtin.set_stats" in t]
    check("the plan job's playbook publishes the plan as the artifact cpu_flags_rollout_plan",
          any("cpu_flags_rollout_plan" in d for d in stats), str(stats))
    return wf, jts


# AWX's allowed survey question types and the Python type of their default
# (JobTemplateSurveySpec.ALLOWED_TYPES).
ALLOWED = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
           "integer": int, "float": (float, int)}


def survey_errors(spec):
    """AWX's survey validation (awx/api/views JobTemplateSurveySpec._validate_spec_data)."""
    errs = []
    for field, typ in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(spec.get(field), typ):
            errs.append("%s missing or not %s" % (field, typ.__name__))
    if errs:
        return errs
    if not spec["spec"]:
        errs.append("'spec' doesn't contain any items")
    seen = set()
    for i, q in enumerate(spec["spec"]):
        for f, typ in (("type", str), ("question_name", str), ("variable", str), ("required", bool)):
            if not isinstance(q.get(f), typ):
                errs.append("question %d: %s missing or not %s" % (i, f, typ.__name__))
        if q.get("variable") in seen:
            errs.append("question %d: variable %s duplicated" % (i, q.get("variable")))
        seen.add(q.get("variable"))
        t = q.get("type")
        if t not in ALLOWED:
            errs.append("question %d: type %r not allowed" % (i, t))
            continue
        if "default" in q and q["default"] != "" and not isinstance(q["default"], ALLOWED[t]):
            errs.append("question %d: default %r is not %s" % (i, q["default"], t))
        for k in ("min", "max"):
            if k in q and q[k] is not None and not isinstance(q[k], int):
                errs.append("question %d: %s not an integer" % (i, k))
        if t in ("multiplechoice", "multiselect"):
            if "choices" not in q:
                errs.append("question %d: no choices" % i)
                continue
            choices = q["choices"].splitlines() if isinstance(q["choices"], str) else q["choices"]
            defaults = q.get("default", "")
            defaults = [d for d in defaults.splitlines() if d.strip()] if isinstance(defaults, str) else defaults
            if t == "multiplechoice" and len(defaults) > 1:
                errs.append("question %d: one default only" % i)
            if any(d not in choices for d in defaults):
                errs.append("question %d: default not among the choices" % i)
    return errs


def documented_variables():
    names = set()
    for role in os.listdir(os.path.join(ROOT, "roles")):
        path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
        if os.path.isfile(path):
            for entry in load(path)["argument_specs"].values():
                names.update(entry.get("options", {}))
    return names


def check_surveys(wf, jts):
    documented = documented_variables()
    surveys = {"workflow": wf["survey_spec"]}
    surveys.update({n: jt["survey_spec"] for n, jt in jts.items() if "survey_spec" in jt})
    for name, ref in surveys.items():
        m = re.search(r"lookup\('ansible.builtin.file', '([^']+)'\)", ref)
        path = os.path.join(AWX_DIR, m.group(1))
        spec = load(path)
        errs = survey_errors(spec)
        check("survey of %s (%s) passes AWX's survey validation" % (name, m.group(1)), not errs, "; ".join(errs))
        unknown = [q["variable"] for q in spec["spec"] if q["variable"] not in documented]
        check("survey of %s asks only for documented variables" % name, not unknown, str(unknown))
        check("survey of %s never asks for the plan (it would override the artifact)" % name,
              all(q["variable"] != "cpu_flags_rollout_plan" for q in spec["spec"]))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    collections = os.path.abspath(sys.argv[1])
    run_each_task(collections)
    wf, jts = check_workflow(collections)
    check_surveys(wf, jts)
    failed = results.count(False)
    print("awx: %d passed, %d failed" % (len(results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
