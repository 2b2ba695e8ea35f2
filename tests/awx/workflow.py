#!/usr/bin/env python3
"""The plan -> approval -> rollout workflow, run the way AWX runs it.

AWX itself cannot run here, but the program AWX runs every job with can:
ansible-runner (from PyPI). Each node is run as AWX's task manager would:
the job template's playbook and job type, the survey answers as extra
variables, and for a node after another, the artifacts its ancestors
published merged into its extra variables (awx/main/models/workflow.py,
WorkflowJobNode.get_job_kwargs: an approval node passes its parent's
artifacts on unchanged; the workflow's own extra variables win over
artifacts). The artifacts are read where AWX reads them: the artifact_data of
the job's playbook_on_stats event.

  workflow.py --inventory INV --out DIR [--rollout-check] [-e @FILE]...

Runs: the plan job (check mode, --diff) -> checks it published the plan ->
the rollout job with the artifacts (for real, or in check mode with
--rollout-check) -> and the rollout job without them, which must refuse.
Prints one line per check and a total; writes the artifacts to DIR.
"""
import argparse
import json
import os
import re
import shutil
import sys

import ansible_runner
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or not detail else ": " + detail), flush=True)


def job(out, name, playbook, inventory, extravars, cmdline):
    """Run one job template's playbook with ansible-runner; return (runner, stdout, artifacts)."""
    pdd = os.path.join(out, name)
    shutil.rmtree(pdd, ignore_errors=True)
    os.makedirs(pdd)
    r = ansible_runner.run(private_data_dir=pdd, project_dir=ROOT, playbook=playbook,
                           inventory=inventory, extravars=extravars, cmdline=cmdline,
                           quiet=True, envvars={"ANSIBLE_NOCOLOR": "1"})
    artifacts = {}
    for ev in r.events:
        if ev.get("event") == "playbook_on_stats":
            artifacts = ev.get("event_data", {}).get("artifact_data") or {}
    stdout = r.stdout.read()
    with open(os.path.join(out, name + ".log"), "w", encoding="utf-8") as f:
        f.write(stdout)
    with open(os.path.join(out, name + ".artifacts.json"), "w", encoding="utf-8") as f:
        json.dump(artifacts, f, indent=1, sort_keys=True)
    return r, stdout, artifacts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rollout-check", action="store_true", help="run the rollout job in check mode")
    ap.add_argument("-e", dest="extra", action="append", default=[],
                    help="@FILE of survey answers (over the survey's defaults) and extra variables")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    inventory = os.path.abspath(args.inventory)

    # The workflow's extra variables: its survey (survey.json) answered with
    # the defaults, then the answers and variables given with -e.
    survey = json.load(open(os.path.join(ROOT, "collection", "awx", "survey.json"), encoding="utf-8"))
    wf_vars = {q["variable"]: q["default"] for q in survey["spec"] if "default" in q}
    wf_vars["cpu_flags_baseline_output_dir"] = os.path.join(os.path.abspath(args.out), "plan-job-report")
    for e in args.extra:
        wf_vars.update(yaml.safe_load(open(e.lstrip("@"), encoding="utf-8")) or {})
    jt_vars = {}

    # Node 1: the plan job template (job_type check, diff_mode true).
    plan_vars = dict(jt_vars, **wf_vars)
    r, out, artifacts = job(args.out, "plan-job", "collection/awx/site.yml", inventory, plan_vars, "--check --diff")
    check("plan job succeeds in check mode", r.rc == 0, "rc=%s, see plan-job.log" % r.rc)
    plan = artifacts.get("cpu_flags_rollout_plan")
    check("plan job publishes the plan as the artifact cpu_flags_rollout_plan",
          isinstance(plan, dict) and plan.get("kind") == "kvm_migration.cpu_flags/plan", str(list(artifacts)))
    if not isinstance(plan, dict):
        return finish()
    check("the artifact is the plan the job wrote", plan["digest"] == json.load(
        open(os.path.join(wf_vars["cpu_flags_baseline_output_dir"], "plan.json"), encoding="utf-8"))["digest"])
    check("the plan job shows the digest it published", plan["digest"][7:19] in out)

    # Node 2: approval. AWX passes the parent's artifacts on unchanged.
    # Node 3: the rollout job template, extra vars = artifacts, then the
    # workflow's variables on top (they win).
    roll_vars = dict(jt_vars)
    roll_vars.update(artifacts)
    roll_vars.update(wf_vars)
    cmd = "--diff" + (" --check" if args.rollout_check else "")
    r, out, _ = job(args.out, "rollout-job", "collection/awx/rollout.yml", inventory, roll_vars, cmd)
    check("rollout job with the artifact succeeds", r.rc == 0, "rc=%s, see rollout-job.log" % r.rc)
    short = plan["digest"][7:19]
    check("rollout job rolls out the published plan", ("rolling out plan " + short) in out
          and re.search(r"plan %s holds for" % short, out, re.I) is not None)
    model_lines = [l for l in out.splitlines() if l.startswith("+" + plan["nova"]["model_option"] + " = ")]
    shown = set()
    for m in re.findall(r"^nova.conf change on (.*?) \(", out, re.M):
        shown.update(h.strip() for h in m.split(","))
    check("rollout job writes the plan's model on every host",
          model_lines and all(l.endswith(" = " + plan["model"]) for l in model_lines)
          and (shown == set(plan["hosts"]) or len(model_lines) == len(plan["hosts"])),
          "%s for %s" % (model_lines[:2], sorted(shown)))

    # The rollout job launched on its own (no artifact): refused before any hypervisor.
    r, out, _ = job(args.out, "rollout-job-alone", "collection/awx/rollout.yml", inventory, dict(jt_vars, **wf_vars), "--diff")
    check("rollout job without the plan fails", r.rc != 0)
    check("... saying why and that nothing changed", "this job rolls out a reviewed plan only" in out and "Nothing was changed" in out)
    check("... before any hypervisor task ran", "Gather the current CPU facts" not in out and "nova_cpu_flag_probe" not in out)
    return finish()


def finish():
    failed = results.count(False)
    print("awx workflow: %d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
