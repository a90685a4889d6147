/*
 * lib/tcp timers: one wheel of TCP_WHEEL_SLOTS 1 ms slots per engine, three
 * timers per connection (delayed ACK; retransmission, which is also the
 * SYN-ACK and persist timer; and a slow timer for keepalive, idle timeout,
 * close linger and TIME-WAIT).
 *
 * A timer due beyond the wheel's span sits in the last slot of the span and is
 * re-armed when that slot comes round; the slow timer is lazy in the same way:
 * it is armed once and, when it fires, works out from the connection's
 * last-activity times whether anything is due, so a segment never touches the
 * wheel to push a keepalive back. slc_tcp_poll() visits at most one slot per
 * elapsed tick (at most one full turn) and fires at most TCP_POLL_BUDGET timers
 * per call: its cost does not grow with the number of connections.
 *
 * Owner: the engine's core.
 */
#include "tcp_priv.h"

static inline uint64_t
us_to_tick_ceil(uint64_t us)
{
	return (us + 999) / 1000;
}

void
tcp_timer_cancel(struct tcp_timer *tm)
{
	if (tm->pprev == NULL)
		return;
	*tm->pprev = tm->next;
	if (tm->next != NULL)
		tm->next->pprev = tm->pprev;
	tm->next = NULL;
	tm->pprev = NULL;
	tm->due = 0;
}

static void
wheel_insert(struct slc_tcp *t, struct tcp_timer *tm)
{
	uint64_t slot_tick = RTE_MIN(tm->due, t->tick + TCP_WHEEL_SLOTS - 1);
	struct tcp_timer **head = &t->wheel[slot_tick & (TCP_WHEEL_SLOTS - 1)];

	tm->next = *head;
	if (*head != NULL)
		(*head)->pprev = &tm->next;
	*head = tm;
	tm->pprev = head;
}

void
tcp_timer_arm(struct slc_tcp *t, struct tcp_timer *tm, uint64_t due_us)
{
	uint64_t due = us_to_tick_ceil(due_us);

	if (!t->tick_set) {
		t->tick = t->now_us / 1000;
		t->tick_set = true;
	}
	tcp_timer_cancel(tm);
	/* Never the slot being handled: a timer armed from a handler fires next tick. */
	if (due <= t->tick)
		due = t->tick + 1;
	tm->due = due;
	wheel_insert(t, tm);
}

static struct slc_tcp_conn *
timer_conn(struct tcp_timer *tm)
{
	return (struct slc_tcp_conn *)((char *)(tm - tm->kind) - offsetof(struct slc_tcp_conn, tm));
}

/* ------------------------------------------------------------- handlers */

static void
delack_fire(struct slc_tcp_conn *c)
{
	if (!c->ack_delayed)
		return;
	c->t->stats.delayed_acks++;
	tcp_send_ack(c);
}

void
tcp_rto_arm(struct slc_tcp_conn *c)
{
	uint64_t rto = c->rto_us;
	uint32_t i;

	for (i = 0; i < c->rtx_count && rto < c->t->cfg.rto_max_us; i++)
		rto *= 2;
	if (rto > c->t->cfg.rto_max_us)
		rto = c->t->cfg.rto_max_us;
	tcp_timer_arm(c->t, &c->tm[TCP_T_RTX], c->t->now_us + rto);
}

static void
rtx_fire(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;

	if (c->state == TCP_S_SYN_RCVD) {
		if (c->rtx_count >= t->cfg.syn_retries) {
			tcp_conn_free(c);       /* never accepted: nobody to tell */
			return;
		}
		c->rtx_count++;
		t->stats.retransmits++;
		tcp_send_synack(c);
		tcp_timer_arm(t, &c->tm[TCP_T_RTX],
			t->now_us + ((uint64_t)TCP_INIT_RTO_US << c->rtx_count));
		return;
	}
	if (c->state == TCP_S_TIME_WAIT)
		return;
	if (c->snd_una == c->snd_max) {
		/* Nothing in flight: persist, when data waits for the peer's window. */
		bool fin_unsent = c->fin_queued && c->snd_max == c->snd_end;

		if (c->snd_end == c->snd_una && !fin_unsent)
			return;
		if (c->snd_wnd != 0 || c->snd_end == c->snd_una) {
			/*
			 * The window is open but nothing went out: the segment could not
			 * be built or queued (no mbuf, tx queue full). Try again now;
			 * tcp_output() arms the timer again if it fails once more.
			 */
			tcp_output(c);
			return;
		}
		if (c->rtx_count >= t->cfg.data_retries) {
			tcp_conn_reset(c, SLC_TCP_CLOSE_TIMEOUT);
			return;
		}
		c->rtx_count++;
		tcp_send_probe(c);
		tcp_rto_arm(c);
		return;
	}
	if (c->rtx_count >= t->cfg.data_retries) {
		tcp_conn_reset(c, SLC_TCP_CLOSE_TIMEOUT);
		return;
	}
	c->rtx_count++;
	c->snd_nxt = c->snd_una;        /* go back: resend from the first unacknowledged */
	c->cwnd = tcp_seg_mss(c);
	c->rtt_timing = false;          /* Karn */
	tcp_output(c);
	tcp_rto_arm(c);
}

/* The earliest of what the slow timer watches, or 0. */
static uint64_t
slow_next(const struct slc_tcp_conn *c)
{
	const struct slc_tcp_cfg *cfg = &c->t->cfg;
	uint64_t next = UINT64_MAX, d;

	if (c->state == TCP_S_TIME_WAIT)
		return c->tw_deadline_us;
	if (c->close_deadline_us != 0)
		next = c->close_deadline_us;
	if (cfg->idle_timeout_s != 0 && c->close_deadline_us == 0) {
		d = c->last_data_us + (uint64_t)cfg->idle_timeout_s * 1000000;
		next = RTE_MIN(next, d);
	}
	if (cfg->keepalive_s != 0) {
		d = c->last_rcv_us + (uint64_t)cfg->keepalive_s * 1000000 +
			(uint64_t)c->ka_probes * cfg->keepalive_intvl_s * 1000000;
		next = RTE_MIN(next, d);
	}
	return next == UINT64_MAX ? 0 : next;
}

void
tcp_slow_rearm(struct slc_tcp_conn *c)
{
	uint64_t next = slow_next(c);

	if (next == 0)
		tcp_timer_cancel(&c->tm[TCP_T_SLOW]);
	else
		tcp_timer_arm(c->t, &c->tm[TCP_T_SLOW], next);
}

static void
slow_fire(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;
	const struct slc_tcp_cfg *cfg = &t->cfg;
	uint64_t now = t->now_us, d;

	if (c->state == TCP_S_TIME_WAIT) {
		if (now >= c->tw_deadline_us) {
			tcp_conn_free(c);
			return;
		}
		tcp_slow_rearm(c);
		return;
	}
	if (c->close_deadline_us != 0 && now >= c->close_deadline_us) {
		tcp_conn_reset(c, c->close_why == SLC_TCP_CLOSE_IDLE ? SLC_TCP_CLOSE_IDLE :
			SLC_TCP_CLOSE_TIMEOUT);
		return;
	}
	if (cfg->idle_timeout_s != 0 && c->close_deadline_us == 0 &&
	    now >= c->last_data_us + (uint64_t)cfg->idle_timeout_s * 1000000) {
		tcp_close_start(c, SLC_TCP_CLOSE_IDLE);
		if (c->state == TCP_S_FREE)
			return;
	}
	if (cfg->keepalive_s != 0) {
		d = c->last_rcv_us + (uint64_t)cfg->keepalive_s * 1000000 +
			(uint64_t)c->ka_probes * cfg->keepalive_intvl_s * 1000000;
		if (now >= d) {
			if (c->ka_probes >= cfg->keepalive_probes) {
				tcp_conn_reset(c, SLC_TCP_CLOSE_KEEPALIVE);
				return;
			}
			/* Data in flight has its own timer: no probe then. */
			if (c->snd_una == c->snd_max) {
				c->ka_probes++;
				t->stats.keepalives++;
				tcp_send_probe(c);
			}
		}
	}
	d = slow_next(c);
	if (d != 0 && d <= now)
		d = now + 1000000;      /* keepalive waiting for data in flight to settle */
	if (d == 0)
		tcp_timer_cancel(&c->tm[TCP_T_SLOW]);
	else
		tcp_timer_arm(t, &c->tm[TCP_T_SLOW], d);
}

/* --------------------------------------------------------------- wheel */

uint32_t
slc_tcp_poll(struct slc_tcp *t, uint64_t now_us)
{
	uint64_t now_tick = now_us / 1000, cur, due;
	uint32_t fired = 0;
	struct tcp_timer *tm, **head;
	struct slc_tcp_conn *c;

	if (now_us > t->now_us)
		t->now_us = now_us;
	if (!t->tick_set) {
		t->tick = now_tick;
		t->tick_set = true;
		return 0;
	}
	/* More than a turn behind: every slot is visited once anyway. */
	if (now_tick > t->tick + TCP_WHEEL_SLOTS)
		t->tick = now_tick - TCP_WHEEL_SLOTS;
	while (t->tick < now_tick) {
		cur = t->tick + 1;
		head = &t->wheel[cur & (TCP_WHEEL_SLOTS - 1)];
		t->tick = cur;          /* handlers arm relative to the slot being handled */
		while ((tm = *head) != NULL) {
			if (fired >= TCP_POLL_BUDGET) {
				t->tick = cur - 1;      /* the rest of this slot: next call */
				return fired;
			}
			due = tm->due;
			tcp_timer_cancel(tm);
			if (due > cur) {
				tm->due = due;
				wheel_insert(t, tm);    /* beyond the span: another slot */
				continue;
			}
			fired++;
			c = timer_conn(tm);
			switch (tm->kind) {
			case TCP_T_DELACK:
				delack_fire(c);
				break;
			case TCP_T_RTX:
				rtx_fire(c);
				break;
			default:
				slow_fire(c);
				break;
			}
		}
	}
	return fired;
}
