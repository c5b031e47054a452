"""Prepares a fresh server for .ci/schemathesis.sh: waits for it, logs the
admin in, creates a little of everything (a learner, a class, an open exam
session with a practical part, attempts, a quiz) through the API, and writes
a schemathesis.toml whose dictionaries hand these ids to the operations that
take them, so the fuzzer reaches the logic behind the 404s. Prints the admin
token. Only the standard library: it runs before the venv is needed."""
import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone

BASE = os.environ["BASE"]
EMAIL = os.environ["EMAIL"]
PASSWORD = os.environ["PASSWORD"]
CONFIG = os.environ["CONFIG"]


def call(method, path, body=None, token=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Accept-Language", "en")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    if status not in expect:
        sys.exit(f"seed: {method} {path} answered {status}: {raw[:300]!r}")
    return json.loads(raw) if raw else None


def wait_for_health():
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(BASE + "/health", timeout=5) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        if time.time() > deadline:
            sys.exit("seed: the server did not answer /health within 120 s")
        time.sleep(0.5)


def login(email, password):
    return call("POST", "/api/v1/auth/token", {"email": email, "password": password})["access_token"]


wait_for_health()
admin = login(EMAIL, PASSWORD)
now = datetime.now(timezone.utc).replace(microsecond=0)
iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731

units = [u["id"] for u in call("GET", "/api/v1/units?per_page=3", token=admin)["items"]]
courses = call("GET", "/api/v1/courses", token=admin)["items"]
course = courses[0]["id"]
lessons = [l["id"] for m in courses[0]["modules"] for l in m["lessons"]][:3]
questions = [q["id"] for q in call("GET", "/api/v1/questions?per_page=3", token=admin)["items"]]
blueprints = [b["id"] for b in call("GET", "/api/v1/blueprints", token=admin)["items"]]
tasks = call("GET", "/api/v1/practical-tasks", token=admin)["items"]
papers = [p["id"] for p in call("GET", "/api/v1/practical-papers", token=admin)["items"]]

learner_password = "learner-password-1"
learner = call("POST", "/api/v1/users", {
    "email": "fuzz-learner@example.vn", "full_name": "Nguyễn Văn Thử",
    "date_of_birth": "1990-01-02", "place_of_birth": "Hà Nội", "sex": "male",
    "unit_id": units[0] if units else None, "roles": ["learner"], "password": learner_password,
}, token=admin)["id"]
trainer = call("POST", "/api/v1/users", {
    "email": "fuzz-trainer@example.vn", "full_name": "Trần Thị Dạy",
    "date_of_birth": "1985-03-04", "place_of_birth": "Huế", "sex": "female",
    "roles": ["trainer", "marker"], "password": learner_password,
}, token=admin)["id"]
class_id = call("POST", "/api/v1/classes", {
    "name": "Fuzz class", "course_id": course, "unit_id": units[0] if units else None,
    "starts_on": str(date.today() - timedelta(days=7)), "ends_on": str(date.today() + timedelta(days=30)),
    "rule": {"all_modules_complete": False, "min_attendance_percent": 0},
}, token=admin)["id"]
call("POST", f"/api/v1/classes/{class_id}/enrolments", {"user_ids": [learner]}, token=admin)

session_input = {
    "title": "Fuzz session", "blueprint_id": blueprints[0],
    "opens_at": iso(now - timedelta(hours=1)), "closes_at": iso(now + timedelta(days=1)),
    "registration": "open", "attempts_allowed": 3,
}
if papers:
    session_input["practical_paper_id"] = papers[0]
session = call("POST", "/api/v1/exam-sessions", session_input, token=admin)["id"]
call("POST", f"/api/v1/exam-sessions/{session}/registrations", {"user_id": learner}, token=admin)

student = login("fuzz-learner@example.vn", learner_password)
first = call("POST", f"/api/v1/exam-sessions/{session}/attempts", {}, token=student)
question = first["questions"][0]
call("PUT", f"/api/v1/attempts/{first['id']}/answers/{question['position']}",
     {"option_ids": [question["options"][0]["id"]]}, token=student)
call("POST", f"/api/v1/attempts/{first['id']}/submit", token=student)
second = call("POST", f"/api/v1/exam-sessions/{session}/attempts", {}, token=student)["id"]
attempts = [first["id"], second]
practical_attempts = []
if papers:
    practical_attempts.append(
        call("POST", f"/api/v1/exam-sessions/{session}/practical-attempts", {}, token=student)["id"])
call("POST", f"/api/v1/exam-sessions/{session}/markers", {"user_id": trainer, "is_head": True}, token=admin)
board = call("GET", f"/api/v1/exam-sessions/{session}/marking-board", token=admin)
submissions = [r["submission_id"] for r in board.get("submissions", [])][:3]
quizzes = [call("POST", f"/api/v1/lessons/{lessons[0]}/quiz", token=student, expect=(200, 201, 409))]
quizzes = [q["id"] for q in quizzes if q and "id" in q]

dictionaries = {
    "units": units, "lessons": lessons, "questions": questions, "tasks": [t["id"] for t in tasks],
    "task_files": [f["name"] for t in tasks for f in t.get("starter_files", [])],
    "classes": [class_id], "sessions": [session], "attempts": attempts,
    "practical_attempts": practical_attempts, "quizzes": quizzes, "submissions": submissions,
    # Never the admin: renaming or demoting it would end the run's authority.
    "users": [learner, trainer], "blueprints": blueprints, "papers": papers, "courses": [course],
}
# The first entry that matches an operation applies to it: specific ones first.
bindings = [
    ("^/api/v1/practical-tasks/\\{id\\}/files/\\{name\\}$", {"path.id": "tasks", "path.name": "task_files"}),
    ("^/api/v1/units/\\{id\\}", {"path.id": "units"}),
    ("^/api/v1/lessons/\\{id\\}", {"path.id": "lessons"}),
    ("^/api/v1/questions/\\{id\\}", {"path.id": "questions"}),
    ("^/api/v1/practical-tasks/\\{id\\}", {"path.id": "tasks"}),
    ("^/api/v1/classes/\\{id\\}", {"path.id": "classes"}),
    ("^/api/v1/exam-sessions/\\{id\\}", {"path.id": "sessions"}),
    ("^/api/v1/attempts/\\{id\\}", {"path.id": "attempts"}),
    ("^/api/v1/practical-attempts/\\{id\\}", {"path.id": "practical_attempts"}),
    ("^/api/v1/quizzes/\\{id\\}", {"path.id": "quizzes"}),
    ("^/api/v1/users/\\{id\\}", {"path.id": "users"}),
    ("^/api/v1/marking/submissions/\\{id\\}", {"path.id": "submissions"}),
]


def toml_list(values):
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


out = [
    "# Written by .ci/schemathesis-seed.py for one run; ids of this database.",
    "# No cache: every run starts from the seed alone, and nothing is left in the tree.",
    "[cache]\nenabled = false\n",
]
for name, values in dictionaries.items():
    if values:
        out.append(f"[dictionaries.{name}]\nvalues = {toml_list(values)}\n")
global_params = {
    "query.unit": "units", "query.root": "units", "query.parent": "units", "query.session": "sessions",
    "body.user_id": "users", "body.user_ids[*]": "users", "body.unit_id": "units",
    "body.parent_id": "units", "body.course_id": "courses", "body.blueprint_id": "blueprints",
    "body.practical_paper_id": "papers", "body.present_user_ids[*]": "users",
}
out.append("[parameters]")
for key, name in global_params.items():
    if dictionaries.get(name):
        out.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
out.append("")
for regex, params in bindings:
    params = {k: v for k, v in params.items() if dictionaries.get(v)}
    if params:
        inner = ", ".join(f'"{k}" = {{ dictionary = "{v}", probability = 0.7 }}' for k, v in params.items())
        out.append("[[operations]]")
        out.append(f"include-path-regex = {json.dumps(regex)}")
        out.append(f"parameters = {{ {inner} }}\n")
with open(CONFIG, "w", encoding="utf-8") as f:
    f.write("\n".join(out))
print(admin)
