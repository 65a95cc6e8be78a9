// The chat simulator: what a follower types or taps goes to /sandbox/chat/send, which POSTs it
// to the account's callback as WeChat does; the replies come back as bubbles and cards.
'use strict';

const BASE = '/sandbox/chat';
// The account chatted with: ?appid= of the page (none = the sandbox's first account).
const APPID = new URLSearchParams(window.location.search).get('appid') || '';
const threads = new Map(); // openid -> its conversation's element
const received = new Map(); // openid -> how many customer-service messages it has shown
const POLL_MS = 1500;
let polling = false;
let session = {followers: [], menu: []};

// A URL under BASE for the account chatted with.
function api(path, params = {}) {
  const query = new URLSearchParams(params);
  if (APPID) query.set('appid', APPID);
  const text = query.toString();
  return text ? `${BASE}${path}?${text}` : `${BASE}${path}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function follower() {
  return document.getElementById('follower').value;
}

function thread() {
  const openid = follower();
  if (!threads.has(openid)) {
    const node = el('div', 'thread');
    node.dataset.openid = openid;
    document.getElementById('threads').append(node);
    threads.set(openid, node);
  }
  for (const [openid, node] of threads) node.hidden = openid !== follower();
  return threads.get(openid);
}

function show(node) {
  thread().append(node);
  node.scrollIntoView({block: 'end'});
}

function notice(text) {
  show(el('p', 'notice', text));
}

function link(href, text, className) {
  const a = el('a', className, text);
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener';
  return a;
}

function textBubble(segments) {
  const bubble = el('div', 'msg theirs');
  bubble.dataset.kind = 'text';
  for (const part of segments) {
    bubble.append(part.href ? link(part.href, part.text) : document.createTextNode(part.text));
  }
  return bubble;
}

function card(article) {
  const box = article.url ? link(article.url, '', 'card') : el('div', 'card');
  box.dataset.kind = 'news';
  box.append(el('div', 'card-title', article.title));
  const body = el('div', 'card-body');
  body.append(el('p', 'card-description', article.description));
  if (article.picurl) {
    const picture = el('img', 'card-picture');
    picture.src = article.picurl;
    picture.alt = '';
    body.append(picture);
  }
  box.append(body);
  return box;
}

function showReply(reply, late) {
  const nodes = reply.type === 'news' ? reply.articles.map(card) : [textBubble(reply.segments)];
  for (const node of nodes) {
    if (late) node.dataset.late = 'true';
    show(node);
  }
}

// Late answers: the callback answered `success` and sends the answer by customer-service message.
async function poll() {
  const openid = follower();
  if (polling || !openid) return;
  polling = true;
  try {
    const since = received.get(openid) || 0;
    const answer = await (await fetch(api('/inbox', {openid, since}))).json();
    if (openid === follower() && (received.get(openid) || 0) === since) {
      received.set(openid, answer.next);
      answer.messages.forEach((message) => showReply(message, true));
    }
  } finally {
    polling = false;
  }
}

async function send(kind, value) {
  const response = await fetch(api('/send'), {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({openid: follower(), kind, value}),
  });
  const answer = await response.json();
  if (answer.error) {
    notice(answer.error);
    return null;
  }
  answer.replies.forEach((reply) => showReply(reply, false));
  if (answer.notice) notice(`${answer.notice}（${answer.problem}）`);
  return answer;
}

async function load() {
  const response = await fetch(api('/session'));
  session = await response.json();
  document.getElementById('account').textContent = session.account;
  renderAccounts(session.accounts || []);
  document.title = `${session.account} · 聊天模拟器`;
  const select = document.getElementById('follower');
  const chosen = select.value;
  select.replaceChildren(...session.followers.map((f) => {
    const option = el('option', '', f.following ? f.openid : `${f.openid}（未关注）`);
    option.value = f.openid;
    return option;
  }));
  if (session.followers.some((f) => f.openid === chosen)) select.value = chosen;
  renderMenu(session.menu);
  changed();
  if (!session.callback_url) notice('未配置 callback_url：消息无处可发');
}

// With several accounts, a choice of which one to chat with (each has its own page URL).
function renderAccounts(accounts) {
  const select = document.getElementById('accounts');
  select.hidden = accounts.length < 2;
  select.replaceChildren(...accounts.map((a) => {
    const option = el('option', '', `${a.account_name}（${a.appid}）`);
    option.value = a.appid;
    return option;
  }));
  select.value = session.appid;
}

function following() {
  return session.followers.some((f) => f.openid === follower() && f.following);
}

function changed() {
  thread();
  const yes = following();
  document.getElementById('subscribe').hidden = yes;
  document.getElementById('unsubscribe').hidden = !yes;
  document.getElementById('text').disabled = !yes;
  document.getElementById('send').disabled = !yes;
  document.getElementById('menu').hidden = !yes || session.menu.length === 0;
}

function closeSubMenus() {
  document.querySelectorAll('#menu .sub').forEach((sub) => { sub.hidden = true; });
}

function tap(button) {
  closeSubMenus();
  if (button.type === 'click') {
    send('click', button.key);
  } else if (button.type === 'view') {
    window.open(button.url, '_blank', 'noopener');
    send('view', button.url);
  } else {
    notice(`菜单「${button.name}」的类型 ${button.type} 不在模拟之列`);
  }
}

function renderMenu(menu) {
  const nav = document.getElementById('menu');
  nav.replaceChildren(...menu.map((button) => {
    const item = el('div', 'menu-item');
    const top = el('button', 'menu-button', button.name);
    top.type = 'button';
    item.append(top);
    if (button.sub) {
      top.classList.add('has-sub');
      const sub = el('div', 'sub');
      sub.hidden = true;
      for (const child of button.sub) {
        const choice = el('button', 'sub-button', child.name);
        choice.type = 'button';
        choice.addEventListener('click', () => tap(child));
        sub.append(choice);
      }
      item.append(sub);
      top.addEventListener('click', () => {
        const open = sub.hidden;
        closeSubMenus();
        sub.hidden = !open;
      });
    } else {
      top.addEventListener('click', () => tap(button));
    }
    return item;
  }));
}

async function subscribe(kind) {
  notice(kind === 'subscribe' ? `${follower()} 关注了公众号` : `${follower()} 取消了关注`);
  const openid = follower();
  await send(kind, '');
  await load();
  document.getElementById('follower').value = openid;
  changed();
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('follower').addEventListener('change', changed);
  document.getElementById('accounts').addEventListener('change', (event) => {
    window.location.search = new URLSearchParams({appid: event.target.value}).toString();
  });
  document.getElementById('subscribe').addEventListener('click', () => subscribe('subscribe'));
  document.getElementById('unsubscribe').addEventListener('click', () => subscribe('unsubscribe'));
  document.getElementById('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('text');
    const text = input.value.trim();
    if (!text) return;
    const mine = el('div', 'msg mine', text);
    mine.dataset.kind = 'sent';
    show(mine);
    input.value = '';
    send('text', text);
  });
  load().then(() => setInterval(poll, POLL_MS));
});
