// The ops page: every read and action is a call to intake's /v1 API with the signed-in token, which
// lives in this tab's sessionStorage only (never a URL or a cookie, so no other site can send it).
// Data is put into the page with textContent only: nothing a host, a payload or a dead letter
// holds is ever parsed as markup.
'use strict';
(() => {
  const TOKEN = 'lineup.token';
  const POLL_MS = 2000;
  const SUMMARY_MS = 10000;
  const MAX_EVENTS = 200;
  const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'REJECTED']);
  const STATE_ORDER = ['REQUESTED', 'QUEUED', 'RELEASED', 'DELIVERED', 'SUCCEEDED', 'FAILED',
    'CANCELLED', 'EXPIRED', 'REJECTED'];

  const $ = (id) => document.getElementById(id);
  let me = null;
  let host = null;
  let timers = [];
  let tailCursor = null;
  let tailPaused = false;
  let busy = {};
  let lastRendered = {};
  let knownStates = new Map();

  class ApiError extends Error {
    constructor(status, problem) {
      super(describe(status, problem));
      this.status = status;
    }
  }

  function describe(status, problem) {
    if (problem && problem.title) {
      let text = problem.title + (problem.detail ? ': ' + problem.detail : '');
      if (Array.isArray(problem.errors)) {
        text += ' (' + problem.errors.map((e) => e.field + ' ' + e.message).join('; ') + ')';
      }
      return text;
    }
    return 'HTTP ' + status;
  }

  async function api(method, path) {
    const token = sessionStorage.getItem(TOKEN);
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, { title: 'Intake did not answer', detail: String(e.message || e) });
    }
    const text = await response.text();
    let body = null;
    if (text) {
      try { body = JSON.parse(text); } catch (e) { body = null; }
    }
    if (!response.ok) {
      if (response.status === 401 && method === 'GET' && path !== '/v1/me') {
        signOut('Signed out: ' + describe(401, body));
      }
      throw new ApiError(response.status, body);
    }
    return body;
  }

  const enc = encodeURIComponent;

  function say(text) {
    $('status').textContent = text;
  }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (className) td.className = className;
    return td;
  }

  function time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function short(id) {
    return id ? id.slice(0, 8) : '';
  }

  // Re-rendering only what changed keeps keyboard focus on a button between two polls.
  function changed(key, data) {
    const text = JSON.stringify(data);
    if (lastRendered[key] === text) return false;
    lastRendered[key] = text;
    return true;
  }

  function canOperate() {
    return me && (me.role === 'operator' || me.role === 'admin');
  }

  // ---------------------------------------------------------------- sign in and out

  async function signIn(event) {
    event.preventDefault();
    const input = $('token');
    const token = input.value.trim();
    input.value = '';
    $('sign-in-error').textContent = '';
    sessionStorage.setItem(TOKEN, token);
    try {
      me = await api('GET', '/v1/me');
    } catch (e) {
      sessionStorage.removeItem(TOKEN);
      $('sign-in-error').textContent =
        e.status === 401 ? 'That token was refused: ' + e.message : 'Could not sign in: ' + e.message;
      input.focus();
      return;
    }
    start();
  }

  function start() {
    $('sign-in').hidden = true;
    $('console').hidden = false;
    $('sign-out').hidden = false;
    const who = $('who');
    who.hidden = false;
    who.textContent = 'Signed in as ' + me.name + ' (' + me.role + ')' +
      (canOperate() ? '' : ': read only, the actions are hidden');
    for (const el of document.querySelectorAll('.operator-only')) el.hidden = !canOperate();
    refreshSummary();
    tail();
    timers.push(setInterval(refreshSummary, SUMMARY_MS));
    timers.push(setInterval(() => { if (host) refreshHost(); }, POLL_MS));
    timers.push(setInterval(tail, POLL_MS));
    $('host-id').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN);
    timers.forEach(clearInterval);
    timers = [];
    me = null;
    host = null;
    tailCursor = null;
    lastRendered = {};
    knownStates = new Map();
    $('console').hidden = true;
    $('host').hidden = true;
    $('sign-out').hidden = true;
    $('who').hidden = true;
    $('events').replaceChildren();
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = typeof message === 'string' ? message : '';
    $('token').focus();
  }

  // ---------------------------------------------------------------- summary

  async function refreshSummary() {
    if (busy.summary) return;
    busy.summary = true;
    try {
      const [summary, batches] = await Promise.allSettled([
        api('GET', '/v1/summary'),
        api('GET', '/v1/batches?limit=20'),
      ]);
      if (summary.status === 'fulfilled') {
        $('summary-error').textContent = '';
        if (changed('summary', summary.value)) renderSummary(summary.value.counts || []);
      } else {
        $('summary-error').textContent = 'Summary unavailable: ' + summary.reason.message;
      }
      if (batches.status === 'fulfilled') {
        $('batches-error').textContent = '';
        if (changed('batches', batches.value)) renderBatches(batches.value.batches || []);
      } else {
        $('batches-error').textContent = 'Batches unavailable: ' + batches.reason.message;
      }
    } finally {
      busy.summary = false;
    }
  }

  function counts(byState) {
    return Object.entries(byState || {}).map(([state, n]) => state + ' ' + n).join(', ');
  }

  function renderBatches(batches) {
    const rows = batches.map((b) => {
      const tr = document.createElement('tr');
      tr.dataset.batchId = b.batch_id;
      tr.append(cell(b.batch_id, 'id'), cell(b.state, 'state-' + b.state), cell(b.size, 'num'),
        cell(time(b.created_at)), cell(counts(b.counts)));
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      tr.append(cell('No batches yet.'));
      rows.push(tr);
    }
    $('batches').tBodies[0].replaceChildren(...rows);
  }

  function renderSummary(counts) {
    const states = STATE_ORDER.filter((s) => counts.some((c) => c.state === s));
    const types = [...new Set(counts.map((c) => c.type))].sort();
    const head = document.createElement('tr');
    const corner = document.createElement('th');
    corner.scope = 'col';
    corner.textContent = 'Type';
    head.append(corner);
    for (const s of states) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = 'num';
      th.textContent = s;
      head.append(th);
    }
    $('summary').tHead.replaceChildren(head);
    const rows = types.map((t) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = t;
      tr.append(th);
      for (const s of states) {
        const found = counts.find((c) => c.type === t && c.state === s);
        tr.append(cell(found ? found.count : 0, 'num'));
      }
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      tr.append(cell('No activities yet.'));
      rows.push(tr);
    }
    $('summary').tBodies[0].replaceChildren(...rows);
  }

  // ---------------------------------------------------------------- host

  function findHost(event) {
    event.preventDefault();
    const id = $('host-id').value.trim();
    if (!id) return;
    host = id;
    lastRendered.queue = lastRendered.activities = null;
    knownStates = new Map();
    $('host-name').textContent = 'Host ' + id;
    $('host').hidden = false;
    $('queue').tBodies[0].replaceChildren();
    $('activities').tBodies[0].replaceChildren();
    refreshHost();
  }

  async function refreshHost() {
    if (busy.host) return;
    busy.host = true;
    const shown = host;
    const path = '/v1/hosts/' + enc(shown);
    try {
      const [queue, upcoming, past] = await Promise.allSettled([
        api('GET', path + '/queue?limit=100'),
        api('GET', path + '/activities?state=upcoming&limit=100'),
        api('GET', path + '/activities?state=past&limit=50'),
      ]);
      if (shown !== host) return;
      renderQueue(queue);
      if (upcoming.status === 'fulfilled' && past.status === 'fulfilled') {
        $('activities-note').textContent = '';
        renderActivities([...upcoming.value.activities, ...past.value.activities]);
      } else {
        const failed = upcoming.status === 'rejected' ? upcoming.reason : past.reason;
        $('activities-note').textContent = 'The ledger did not answer: ' + failed.message;
      }
    } finally {
      busy.host = false;
    }
  }

  function renderQueue(result) {
    const note = $('queue-note');
    if (result.status === 'rejected') {
      const e = result.reason;
      note.textContent = e.status === 404
        ? 'The sequencer holds no queue for this host (nothing enqueued, or all of it finished and forgotten).'
        : 'The live queue is unavailable: ' + e.message + '. The ledger below still answers.';
      if (changed('queue', null)) $('queue').tBodies[0].replaceChildren();
      return;
    }
    const queue = result.value;
    note.textContent = queue.paused ? 'Paused: nothing is released until it is resumed.' : '';
    if (!changed('queue', queue)) return;
    const rows = [...(queue.in_flight || []), ...(queue.upcoming || [])].map((a) => {
      const tr = document.createElement('tr');
      tr.dataset.activityId = a.activity_id;
      tr.append(cell(a.activity_id, 'id'), cell(a.type), cell(a.lane), cell(a.state, 'state-' + a.state),
        cell(a.priority, 'num'), cell(a.attempt, 'num'), cell(a.ready ? 'yes' : 'no'));
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      tr.append(cell('Nothing in flight or upcoming.'));
      rows.push(tr);
    }
    $('queue').tBodies[0].replaceChildren(...rows);
  }

  function renderActivities(activities) {
    const announcements = [];
    for (const a of activities) {
      const before = knownStates.get(a.activity_id);
      if (before && before !== a.state) {
        announcements.push('Activity ' + short(a.activity_id) + ' is now ' + a.state + '.');
      }
      knownStates.set(a.activity_id, a.state);
    }
    if (announcements.length) {
      say(announcements.join(' '));
      refreshSummary();
    }
    if (!changed('activities', activities)) return;
    const rows = activities.map((a) => {
      const tr = document.createElement('tr');
      tr.dataset.activityId = a.activity_id;
      tr.append(cell(a.activity_id, 'id'), cell(a.type), cell(a.state, 'state state-' + a.state),
        cell(a.reason), cell(time(a.created_at)), cell(time(a.finished_at)));
      if (canOperate()) {
        const td = document.createElement('td');
        if (!TERMINAL.has(a.state)) {
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = 'Cancel';
          button.setAttribute('aria-label', 'Cancel activity ' + a.activity_id);
          button.addEventListener('click', () => cancel(a.activity_id, button));
          td.append(button);
        }
        tr.append(td);
      }
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      tr.append(cell('The ledger has no activity for this host.'));
      rows.push(tr);
    }
    $('activities').tBodies[0].replaceChildren(...rows);
  }

  async function act(method, path, done, button) {
    if (button) button.disabled = true;
    try {
      await api(method, path);
      say(done);
      refreshHost();
      refreshSummary();
    } catch (e) {
      say('Refused: ' + e.message);
    } finally {
      if (button) button.disabled = false;
    }
  }

  function cancel(id, button) {
    act('DELETE', '/v1/hosts/' + enc(host) + '/activities/' + enc(id),
      'Cancel of activity ' + short(id) + ' sent.', button);
  }

  // ---------------------------------------------------------------- batch

  async function findBatch(event) {
    event.preventDefault();
    const id = $('batch-id').value.trim();
    const list = $('batch');
    $('batch-error').textContent = '';
    try {
      const b = await api('GET', '/v1/batches/' + enc(id));
      const entries = [['Batch', b.batch_id], ['State', b.state], ['Size', b.size],
        ['Created', time(b.created_at)]];
      for (const [state, n] of Object.entries(b.counts || {})) entries.push([state, n]);
      list.replaceChildren(...entries.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = String(v);
        return [dt, dd];
      }));
      list.hidden = false;
    } catch (e) {
      list.hidden = true;
      $('batch-error').textContent = e.message;
    }
  }

  // ---------------------------------------------------------------- dead letters

  async function loadDeadLetters(event) {
    event.preventDefault();
    const topic = $('dlq-topic').value;
    const note = $('dlq-note');
    note.textContent = 'Reading…';
    try {
      const answer = await api('GET', '/v1/dead-letters?limit=50' + (topic ? '&topic=' + enc(topic) : ''));
      const rows = answer.dead_letters.map((d) => {
        const tr = document.createElement('tr');
        tr.append(cell(time(d.timestamp)), cell(d.topic + ' ' + d.partition + ':' + d.offset, 'id'),
          cell(d.key, 'id'), cell(d.reason || d.dropped),
          cell(d.source_topic ? d.source_topic + ' ' + d.source_partition + ':' + d.source_offset : ''),
          cell(d.consumer));
        return tr;
      });
      $('dlq').tBodies[0].replaceChildren(...rows);
      note.textContent = rows.length === 0 ? 'No dead letters.'
        : rows.length === 1 ? 'One dead letter, the newest.'
          : rows.length + ' dead letters, newest first.';
    } catch (e) {
      note.textContent = 'Dead letters unavailable: ' + e.message;
    }
  }

  // ---------------------------------------------------------------- event tail

  async function tail() {
    if (busy.tail || tailPaused) return;
    busy.tail = true;
    try {
      let path = '/v1/events?limit=100';
      if (tailCursor) path += '&after=' + enc(tailCursor);
      if ($('events-host-only').checked && host) path += '&host=' + enc(host);
      const answer = await api('GET', path);
      tailCursor = answer.next;
      $('events-note').textContent = '';
      const list = $('events');
      for (const e of answer.events) {
        const li = document.createElement('li');
        li.dataset.activityId = e.activity_id;
        li.textContent = time(e.occurred_at) + '  ' + e.host_id + '  ' + e.activity_id + '  ' +
          (e.type || '?') + '  ' + e.state + '  ' + e.reason + (e.detail ? '  ' + e.detail : '');
        list.prepend(li);
      }
      while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
    } catch (e) {
      $('events-note').textContent = 'The tail is not answering: ' + e.message;
    } finally {
      busy.tail = false;
    }
  }

  function toggleTail() {
    tailPaused = !tailPaused;
    const button = $('events-toggle');
    button.setAttribute('aria-pressed', String(tailPaused));
    button.textContent = tailPaused ? 'Resume the tail' : 'Pause the tail';
    if (!tailPaused) tail();
  }

  // ---------------------------------------------------------------- wiring

  document.addEventListener('DOMContentLoaded', async () => {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    $('host-form').addEventListener('submit', findHost);
    $('batch-form').addEventListener('submit', findBatch);
    $('dlq-form').addEventListener('submit', loadDeadLetters);
    $('events-toggle').addEventListener('click', toggleTail);
    $('cancel-all').addEventListener('click', (e) => act('DELETE',
      '/v1/hosts/' + enc(host) + '/activities?state=upcoming', 'Cancel of everything upcoming sent.', e.target));
    $('pause').addEventListener('click', (e) => act('POST', '/v1/hosts/' + enc(host) + '/pause',
      'Pause sent.', e.target));
    $('resume').addEventListener('click', (e) => act('POST', '/v1/hosts/' + enc(host) + '/resume',
      'Resume sent.', e.target));
    // A reload of the tab keeps the session: the token is still in sessionStorage.
    if (sessionStorage.getItem(TOKEN)) {
      try {
        me = await api('GET', '/v1/me');
        start();
      } catch (e) {
        signOut(e.status === 401 ? 'The saved token was refused; sign in again.' : e.message);
      }
    } else {
      $('token').focus();
    }
  });
})();
