// The reference kiosk: renders the questionnaire (GET /v1/questionnaire) screen by screen, asks what
// /v1/evaluate says is `missing`, then what could `refine` a plan, and shows the result. Plain
// JavaScript, no libraries, no build step. Nothing is stored in the browser: the session lives in
// this script's variables and is wiped by "Start again" and by the idle timeout.
"use strict";

(function () {
  const params = new URLSearchParams(window.location.search);
  // ?idle=SECONDS shortens the idle timeout (tests, demonstrations); at least 2 s.
  const IDLE_SECONDS = Math.max(2, parseInt(params.get("idle") || "120", 10) || 120);
  const WARN_SECONDS = IDLE_SECONDS >= 40 ? 20 : Math.max(1, Math.floor(IDLE_SECONDS / 2));
  const CALL_TIMEOUT_MS = 15000;
  // The clinic's name on the printed plan: ?clinic=NAME, else <meta name="triage-clinic">.
  const clinicMeta = document.querySelector('meta[name="triage-clinic"]');
  const CLINIC = (params.get("clinic") || (clinicMeta && clinicMeta.content) || "").trim().slice(0, 80);

  const screen = document.getElementById("screen");
  const restartButton = document.getElementById("restart");
  const idleDialog = document.getElementById("idle");
  const idleCount = document.getElementById("idle-count");
  const idleStay = document.getElementById("idle-stay");

  let questionnaire = null; // {questions, sections} as served
  let questions = new Map(); // fact -> Question
  let sections = []; // [{id, title, intro, facts}]
  let session = null; // {id, answers, refineOffered, inFlight}

  // ---------------------------------------------------------------------------------------------
  // Small DOM helpers (text only: nothing from the server is ever parsed as HTML)

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function show(...children) {
    screen.replaceChildren(...children.flat(3).filter((c) => c !== null && c !== undefined && c !== false));
    window.scrollTo(0, 0);
    const heading = screen.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  function humanize(value) {
    const text = String(value).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function labelFor(question, value) {
    for (const item of question.labels || []) {
      if (item.value === value && item.label) return item.label;
    }
    return humanize(value);
  }

  function bound(value) {
    if (value === undefined || value === null || value === "") return null;
    const number = Number(value);
    return Number.isFinite(number) ? number : null;
  }

  // ---------------------------------------------------------------------------------------------
  // The questionnaire

  async function loadQuestionnaire() {
    const reply = await call("GET", "/v1/questionnaire");
    if (!reply.ok) return reply;
    questionnaire = reply.body;
    questions = new Map((questionnaire.questions || []).map((q) => [q.fact, q]));
    sections = (questionnaire.sections || []).filter((s) => (s.facts || []).length > 0);
    if (sections.length === 0) {
      // Before the rules name sections: one screen for the red-flag questions, one for the rest.
      const all = questionnaire.questions || [];
      sections = [
        {
          id: "red_flags",
          title: "About your symptoms",
          intro: "These questions check whether you need to see a doctor or nurse.",
          facts: all.filter((q) => q.red_flag).map((q) => q.fact),
        },
        {
          id: "about_you",
          title: "About you and what you have at home",
          intro: "These help fit your self-care plan to you.",
          facts: all.filter((q) => !q.red_flag).map((q) => q.fact),
        },
      ].filter((s) => s.facts.length > 0);
    }
    return reply;
  }

  // The first section holding any of `facts`, with just those facts in the section's order.
  function nextScreen(facts) {
    const wanted = new Set(facts.filter((f) => questions.has(f)));
    for (const section of sections) {
      const chosen = section.facts.filter((f) => wanted.has(f));
      if (chosen.length > 0) return { section, facts: chosen };
    }
    // A fact no section lists (should not happen): a screen of its own.
    const rest = [...wanted];
    return rest.length ? { section: { id: "more", title: "A few more questions", intro: "", facts: rest }, facts: rest } : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Widgets

  function questionWidget(question, current, index) {
    const id = "q-" + question.fact;
    const helpId = question.help ? id + "-help" : null;
    const errorId = id + "-error";
    const help = question.help ? el("p", { class: "help", id: helpId, text: question.help }) : null;
    const error = el("p", { class: "error", id: errorId, hidden: true });
    const described = [helpId, errorId].filter(Boolean).join(" ");
    const min = bound(question.min);
    const max = bound(question.max);

    function choice(type, name, value, text, checked, extraClass) {
      const inputId = id + "-" + String(value).replace(/[^A-Za-z0-9_-]/g, "_");
      return el(
        "div",
        { class: "choice" + (extraClass ? " " + extraClass : "") },
        el("input", { type, id: inputId, name, value: String(value), checked: checked || null }),
        el("label", { for: inputId, text })
      );
    }

    const group = (children, attributes) =>
      el(
        "fieldset",
        Object.assign({ class: "question", "data-fact": question.fact, "aria-describedby": described }, attributes || {}),
        el("legend", { text: question.text }),
        help,
        error,
        children
      );

    let node;
    switch (question.type) {
      case "bool":
        node = group(
          el(
            "div",
            { class: "choices" },
            choice("radio", id, "true", "Yes", current === true),
            choice("radio", id, "false", "No", current === false)
          )
        );
        break;
      case "int":
        if (min !== null && max !== null && max - min <= 10) {
          const steps = [];
          for (let v = min; v <= max; v++) steps.push(choice("radio", id, v, String(v), current === v));
          node = group([
            el("div", { class: "scale" }, steps),
            el("div", { class: "scale-ends", "aria-hidden": "true" }, el("span", { text: String(min) }), el("span", { text: String(max) })),
          ]);
        } else {
          // A whole number over a wide range: one labelled number box.
          node = el(
            "div",
            { class: "question", "data-fact": question.fact },
            el("label", { class: "text", for: id, text: question.text }),
            help,
            error,
            el("input", {
              class: "number",
              type: "number",
              id,
              name: id,
              inputmode: "numeric",
              step: "1",
              min: min === null ? null : String(min),
              max: max === null ? null : String(max),
              value: typeof current === "number" ? String(current) : null,
              "aria-describedby": described,
            })
          );
        }
        break;
      case "enum": {
        const values = question.values || [];
        node = group(
          el(
            "div",
            { class: "choices" + (values.length > 3 ? " stacked" : "") },
            values.map((v) => choice("radio", id, v, labelFor(question, v), current === v))
          )
        );
        break;
      }
      case "set": {
        const chosen = Array.isArray(current) ? current : null;
        const noneAllowed = min === null || min === 0;
        const boxes = (question.values || []).map((v) =>
          choice("checkbox", id, v, labelFor(question, v), chosen !== null && chosen.includes(v))
        );
        if (noneAllowed) boxes.push(choice("checkbox", id, "", "None of these", chosen !== null && chosen.length === 0, "none"));
        node = group(el("div", { class: "choices stacked" }, boxes));
        // "None of these" and the values exclude each other.
        node.addEventListener("change", (event) => {
          const box = event.target;
          if (!box.checked) return;
          for (const other of node.querySelectorAll("input[type=checkbox]")) {
            if (other !== box && (box.value === "" || other.value === "")) other.checked = false;
          }
        });
        break;
      }
      default:
        node = el("p", { class: "muted", text: question.text + " (this kiosk cannot ask this kind of question)" });
    }
    node.dataset.index = String(index);
    return node;
  }

  // The answer a widget holds: undefined when unanswered, else {value} or {error}.
  function readWidget(question, node) {
    const min = bound(question.min);
    const max = bound(question.max);
    if (question.type === "int" && node.querySelector("input.number")) {
      const text = node.querySelector("input.number").value.trim();
      if (text === "") return undefined;
      if (!/^\d+$/.test(text)) return { error: "Please enter a whole number." };
      const value = parseInt(text, 10);
      if ((min !== null && value < min) || (max !== null && value > max)) {
        return { error: "Please enter a number from " + min + " to " + max + "." };
      }
      return { value };
    }
    if (question.type === "set") {
      const boxes = [...node.querySelectorAll("input[type=checkbox]:checked")];
      if (boxes.length === 0) return undefined;
      const values = boxes.map((b) => b.value).filter((v) => v !== "");
      if (min !== null && values.length < min) return { error: "Please choose at least " + min + "." };
      if (max !== null && values.length > max) return { error: "Please choose at most " + max + "." };
      return { value: values };
    }
    const picked = node.querySelector("input[type=radio]:checked");
    if (!picked) return undefined;
    if (question.type === "bool") return { value: picked.value === "true" };
    if (question.type === "int") return { value: parseInt(picked.value, 10) };
    return { value: picked.value };
  }

  // ---------------------------------------------------------------------------------------------
  // Screens

  function showWelcome() {
    document.body.classList.remove("emergency");
    restartButton.hidden = true;
    show(
      el("h1", { text: "Back pain check" }),
      el("p", {
        class: "lead",
        text:
          "Answer a few questions about your back pain. If anything means you should see a doctor or nurse, " +
          "this kiosk will tell you straight away. Otherwise you get a self-care plan you can print.",
      }),
      el("p", {
        text:
          "Your answers are sent to the clinic's triage service, which keeps a secure record of each decision. " +
          "Nothing is kept on this screen: it clears itself if you walk away.",
      }),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", id: "start", onclick: startSession, text: "Start" }))
    );
  }

  function startSession() {
    // `screens`: the question screens shown so far, for Back (answers are kept when going back).
    session = { id: newSessionId(), answers: {}, refineOffered: new Set(), controller: null, screens: [], generation: 0 };
    restartButton.hidden = false;
    evaluate();
  }

  function showQuestions(screenFacts, mode) {
    const { section, facts } = screenFacts;
    const required = mode === "missing";
    const nodes = facts.map((fact, i) => questionWidget(questions.get(fact), session.answers[fact], i));
    const back = session.screens.length > 0
      ? el("button", { type: "button", class: "secondary", id: "back", onclick: goBack, text: "Back" })
      : null;
    const form = el(
      "form",
      { novalidate: true, "data-section": section.id, "data-mode": mode },
      nodes,
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", id: "continue", text: "Continue" }), back)
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let firstProblem = null;
      const updates = {};
      const nodes = [...form.querySelectorAll("[data-fact]")];
      const results = nodes.map((node) => readWidget(questions.get(node.dataset.fact), node));
      // Needed questions left blank come back on the next screen, unless an answer here already
      // decides (a red flag); a screen with nothing answered cannot be passed.
      const nothingAnswered = results.every((r) => r === undefined);
      nodes.forEach((node, i) => {
        const question = questions.get(node.dataset.fact);
        const result = results[i];
        const error = node.querySelector(".error");
        let problem = null;
        if (result && result.error) problem = result.error;
        else if (result === undefined && required && nothingAnswered) problem = "Please answer this question.";
        node.classList.toggle("invalid", problem !== null);
        error.hidden = problem === null;
        error.textContent = problem || "";
        if (problem && !firstProblem) firstProblem = node;
        if (result && !result.error) updates[question.fact] = result.value;
      });
      if (firstProblem) {
        const focusable = firstProblem.querySelector("input");
        if (focusable) focusable.focus();
        return;
      }
      Object.assign(session.answers, updates);
      session.screens.push({ screen: screenFacts, mode });
      history.pushState({ kiosk: session.id, depth: session.screens.length }, "");
      evaluate();
    });
    const intro = mode === "refine"
      ? "These questions are optional. Answering them makes your plan fit you better. Leave any you are unsure about and press Continue."
      : section.intro;
    show(
      el("p", { class: "progress", text: mode === "refine" ? "Your plan is nearly ready" : "Questions" }),
      el("h1", { text: section.title || "A few questions" }),
      intro ? el("p", { class: "lead", text: intro }) : null,
      form
    );
  }

  // Back: the previous question screen, with the answers given there still filled in. The
  // browser's own Back button does the same (each screen is a history entry), so it never leaves
  // the page and drops the answers.
  function goBack() {
    if (!session || session.screens.length === 0) return;
    if (session.controller) session.controller.abort();
    session.generation += 1;
    const previous = session.screens.pop();
    document.body.classList.remove("emergency");
    showQuestions(previous.screen, previous.mode);
  }

  window.addEventListener("popstate", () => {
    if (session && session.screens.length > 0) goBack();
    else if (session) history.pushState({ kiosk: session.id, depth: 0 }, "");  // stay on the page
  });

  function reasonsList(decision) {
    const flags = decision.red_flags || [];
    if (flags.length === 0) return null;
    return [el("h2", { text: "Why" }), el("ul", {}, flags.map((f) => el("li", { text: f.reason })))];
  }

  function nextStepParts(step) {
    if (!step) return [];
    return [
      step.meanwhile ? [el("h2", { text: "While you wait" }), el("p", { text: step.meanwhile })] : null,
      step.escalate ? [el("h2", { text: "Get help sooner if" }), el("p", { text: step.escalate })] : null,
    ];
  }

  function resultActions(printable) {
    const back = session && session.screens.length > 0
      ? el("button", { type: "button", class: "secondary", id: "back", onclick: goBack, text: "Back" })
      : null;
    return el(
      "div",
      { class: "actions" },
      printable ? el("button", { type: "button", class: "primary", id: "print", onclick: () => window.print(), text: "Print" }) : null,
      back,
      el("button", { type: "button", class: "secondary", id: "start-again", onclick: resetSession, text: "Start again" })
    );
  }

  // What a printed page needs so that a GP can tell where and when it came from.
  function printHeader(decision) {
    const when = decision.decided_at ? new Date(decision.decided_at) : new Date();
    const date = when.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
    return el(
      "div",
      { class: "print-only print-header", "data-print-header": "" },
      CLINIC ? el("p", { class: "clinic", text: CLINIC }) : null,
      el("p", { text: "Back pain check, " + date }),
      decision.decision_id ? el("p", { class: "muted", text: "Reference: " + decision.decision_id }) : null
    );
  }

  function showReferral(decision) {
    const step = decision.next_step && decision.next_step.action ? decision.next_step : null;
    if (decision.urgency === "emergency") {
      document.body.classList.add("emergency");
      const banner = "Call 999 or go to A&E now";
      // The heading already says it: keep only what the rules add ("Do not drive yourself.").
      let action = step ? step.action : "Do not drive yourself. If you are at a clinic, tell a member of staff straight away.";
      if (action.toLowerCase().startsWith(banner.toLowerCase())) action = action.slice(banner.length).replace(/^[\s.,;:]+/, "");
      const wrapper = el(
        "div",
        { class: "emergency-screen", role: "alert", "data-outcome": "emergency" },
        el("h1", { text: banner }),
        action ? el("p", { class: "action", text: action }) : null,
        reasonsList(decision),
        nextStepParts(step),
        resultActions(false)
      );
      show(wrapper);
      return;
    }
    const urgent = decision.urgency === "urgent";
    const title = urgent ? "Get medical advice today" : "Book an appointment with your GP or a physiotherapist";
    const fallback = urgent
      ? "Contact your GP surgery today, or call NHS 111. Do not wait for a routine appointment."
      : "This is not an emergency, but your back should be checked. Book a routine appointment.";
    show(
      printHeader(decision),
      el(
        "div",
        { class: "banner " + (urgent ? "urgent" : "routine"), "data-outcome": decision.urgency || "refer" },
        el("h1", { text: title }),
        el("p", { text: step ? step.action : fallback })
      ),
      reasonsList(decision),
      nextStepParts(step),
      resultActions(true)
    );
  }

  // One line per distinct text: a rule's caution that says what the technique's own caution says
  // is shown once.
  function explanationItems(list) {
    const seen = new Set();
    return (list || [])
      .filter((e) => e.text && !seen.has(e.text) && seen.add(e.text))
      .map((e) => el("p", { class: "caution", text: e.text }));
  }

  // The safety net arrives as lines: a line ending in ":" says what to do, the lines after it
  // are the signs for it. Shown as a heading per group with one sign per list item.
  function safetyNetParts(text) {
    const parts = [];
    let list = null;
    for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l)) {
      if (line.endsWith(":")) {
        parts.push(el("p", { class: "safety-action", text: line }));
        list = el("ul", { class: "safety-signs" });
        parts.push(list);
      } else if (list) {
        list.appendChild(el("li", { text: line }));
      } else {
        parts.push(el("p", { text: line }));
      }
    }
    return parts;
  }

  function showPlan(decision) {
    const schedule = decision.schedule && (decision.schedule.frequency || decision.schedule.review) ? decision.schedule : null;
    const safety = decision.safety_net && decision.safety_net.text ? decision.safety_net : null;
    const items = (decision.plan || []).map((item) =>
      el(
        "li",
        { "data-technique": item.technique },
        el("span", { class: "phase", text: humanize(item.phase) }),
        el("h3", { text: item.title }),
        el("p", { text: item.instructions }),
        el("p", { class: "dose", text: item.dose }),
        (item.why || []).map((w) => el("p", { class: "why", text: "Why: " + w.text })),
        explanationItems(item.cautions)
      )
    );
    const left = decision.excluded || [];
    show(
      printHeader(decision),
      el("h1", { "data-outcome": "self_care", text: "Your self-care plan" }),
      el("p", { class: "lead", text: "Do these in order. Move gently, and never push into pain." }),
      schedule
        ? el(
            "div",
            { class: "box schedule" },
            el("h2", { text: "How often" }),
            schedule.frequency ? el("p", { text: schedule.frequency }) : null,
            schedule.review ? el("p", { text: schedule.review }) : null
          )
        : null,
      safety ? el("div", { class: "box safety", role: "note" }, el("h2", { text: "Stop and get help" }), safetyNetParts(safety.text)) : null,
      el("ol", { class: "plan" }, items),
      (decision.cautions || []).length ? [el("h2", { text: "Take care" }), explanationItems(decision.cautions)] : null,
      left.length
        ? el(
            "details",
            { class: "box" },
            el("summary", { text: "Left out of your plan, and why (" + left.length + ")" }),
            el("ul", {}, left.map((x) => el("li", { text: humanize(x.technique) + ": " + (x.reasons || []).map((r) => r.text).join(" ") })))
          )
        : null,
      resultActions(true)
    );
  }

  // Problems in plain words for the patient; the service's own wording (fact ids, codes) stays in
  // a "For staff" section. `kind`: 400 (answers refused), 503 (busy), "timeout" (no reply in time:
  // the service may still have decided and logged it), 0 (cannot be reached).
  function showProblem(kind, detail) {
    document.body.classList.remove("emergency");
    const parts = [];
    const staff = [];
    if (kind === 400) {
      parts.push(
        el("h1", { text: "Some answers could not be used" }),
        el("p", { text: "Something went wrong with your answers, so no advice was given. Please start again. If it happens again, please ask at reception." })
      );
      const details = (detail && detail.details) || [];
      if (details.length) staff.push(el("ul", {}, details.map((d) => el("li", { text: d.message || String(d) }))));
      else if (detail && detail.message) staff.push(el("p", { text: detail.message }));
    } else if (kind === "timeout") {
      parts.push(
        el("h1", { text: "No answer came back in time" }),
        el("p", {
          text:
            "Your answers may have reached the service, but no advice was shown. Please try again. " +
            "If this keeps happening, please ask at reception.",
        }),
        el("p", { class: "muted", text: "If you feel very unwell, call 999 or tell a member of staff now." })
      );
    } else {
      parts.push(
        el("h1", { text: kind === 503 ? "The service is busy right now" : "The service cannot be reached" }),
        el("p", {
          text:
            "No advice was given. Please try again in a moment. " +
            "If this keeps happening, please ask at reception.",
        }),
        el("p", { class: "muted", text: "If you feel very unwell, call 999 or tell a member of staff now." })
      );
    }
    const retry = kind === 400 ? null : el("button", { type: "button", class: "primary", id: "retry", onclick: retryLast, text: "Try again" });
    show(
      el(
        "div",
        { class: "problem", role: "alert", "data-problem": String(kind) },
        parts,
        staff.length ? el("details", { class: "staff-detail" }, el("summary", { text: "For staff" }), staff) : null,
        el("div", { class: "actions" }, retry, el("button", { type: "button", class: "secondary", id: "start-again", onclick: resetSession, text: "Start again" }))
      )
    );
  }

  // The kind of problem a failed call is (see showProblem).
  function problemKind(reply) {
    if (reply.status === 400 || reply.status === 503) return reply.status;
    return reply.aborted ? "timeout" : 0;
  }

  function showBusy() {
    const button = screen.querySelector("#continue, #start");
    if (button) {
      button.disabled = true;
      button.textContent = "Checking…";
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Calls

  let lastAction = null;

  function retryLast() {
    if (lastAction) lastAction();
  }

  async function call(method, path, body) {
    const controller = new AbortController();
    if (session) session.controller = controller;
    const timer = setTimeout(() => controller.abort(), CALL_TIMEOUT_MS);
    try {
      const reply = await fetch(path, {
        method,
        headers: body ? { "Content-Type": "application/json" } : {},
        body: body ? JSON.stringify(body) : undefined,
        cache: "no-store",
        credentials: "same-origin",
        signal: controller.signal,
      });
      let parsed = null;
      try {
        parsed = await reply.json();
      } catch (ignored) {
        parsed = null;
      }
      return { ok: reply.ok, status: reply.status, body: parsed };
    } catch (failure) {
      return { ok: false, status: 0, body: null, aborted: controller.signal.aborted };
    } finally {
      clearTimeout(timer);
    }
  }

  async function evaluate() {
    const current = session;
    const generation = current.generation;
    lastAction = evaluate;
    showBusy();
    if (!questionnaire) {
      const loaded = await loadQuestionnaire();
      if (current !== session) return;
      if (!loaded.ok) return showProblem(problemKind(loaded), loaded.body);
    }
    const reply = await call("POST", "/v1/evaluate", { answers: current.answers, request_id: current.id });
    if (current !== session || generation !== current.generation) return; // reset, or Back, while the call was out
    if (!reply.ok) return showProblem(problemKind(reply), reply.body);
    handleDecision(reply.body);
  }

  function handleDecision(decision) {
    if (decision.outcome === "refer") return showReferral(decision);
    if (decision.outcome === "incomplete") {
      const next = nextScreen((decision.missing || []).filter((f) => !(f in session.answers)));
      if (next) return showQuestions(next, "missing");
      return showProblem(0, null);
    }
    // A service from before version 2 sends no `refine`: then offer every question not yet answered.
    const candidates = Array.isArray(decision.refine) ? decision.refine : [...questions.keys()];
    const refine = candidates.filter((f) => !(f in session.answers) && !session.refineOffered.has(f) && questions.has(f));
    if (refine.length > 0) {
      const next = nextScreen(refine);
      next.facts.forEach((f) => session.refineOffered.add(f));
      return showQuestions(next, "refine");
    }
    showPlan(decision);
  }

  function newSessionId() {
    if (window.crypto && crypto.randomUUID) return "kiosk-" + crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "kiosk-" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---------------------------------------------------------------------------------------------
  // Start again and the idle timeout

  function resetSession() {
    if (session && session.controller) session.controller.abort();
    session = null;
    lastAction = null;
    hideIdle();
    showWelcome();
  }

  let idleTimer = null;
  let countdownTimer = null;

  function hideIdle() {
    clearInterval(countdownTimer);
    countdownTimer = null;
    idleDialog.hidden = true;
  }

  function armIdle() {
    clearTimeout(idleTimer);
    if (!idleDialog.hidden) return; // the warning is up: only its button (or a timeout) decides
    idleTimer = setTimeout(warnIdle, (IDLE_SECONDS - WARN_SECONDS) * 1000);
  }

  function warnIdle() {
    if (!session) return armIdle();
    let left = WARN_SECONDS;
    idleCount.textContent = String(left);
    idleDialog.hidden = false;
    idleStay.focus();
    countdownTimer = setInterval(() => {
      left -= 1;
      idleCount.textContent = String(Math.max(0, left));
      if (left <= 0) {
        resetSession();
        armIdle();
      }
    }, 1000);
  }

  idleStay.addEventListener("click", () => {
    hideIdle();
    armIdle();
  });
  for (const type of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
    document.addEventListener(type, armIdle, { passive: true, capture: true });
  }
  restartButton.addEventListener("click", resetSession);
  window.addEventListener("beforeprint", armIdle);

  showWelcome();
  armIdle();
})();
