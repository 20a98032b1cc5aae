//! `/`: what maruntime is.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::ui::auth_context::use_auth;

#[component]
pub fn Landing() -> impl IntoView {
    let auth = use_auth();
    let details_open = RwSignal::new(false);
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"An AI chat that remembers, on your own server."</h1>
            <p class="lead">
                "maruntime is a self-hosted, multi-user chat runtime. Every conversation is kept as a "
                "plain markdown document you own, searchable by you and by the agent, and each person "
                "has a profile the agent reads, so it knows who it is talking to."
            </p>
            <div class="hero-actions">
                {move || match auth.current_user() {
                        Some(user) => view! {
                            <p class="welcome">"Welcome back, " {user.display_name} "."</p>
                            <A href="/chat" attr:class="button">"Open your chats"</A>
                            <A href="/profile" attr:class="button secondary">"Your profile"</A>
                        }
                        .into_any(),
                        None => view! {
                            <A href="/register" attr:class="button">"Create an account"</A>
                            <A href="/login" attr:class="button secondary">"Log in"</A>
                        }
                        .into_any(),
                }}
            </div>
        </section>
        <section class="features" aria-label="What you get">
            <article>
                <h2>"Memory you can read"</h2>
                <p>"Chats are markdown files on your server. Back them up, grep them, keep them."</p>
            </article>
            <article>
                <h2>"Any model"</h2>
                <p>"Point it at OpenAI, Ollama, vLLM, llama.cpp or any OpenAI-compatible endpoint."</p>
            </article>
            <article>
                <h2>"Safe by default"</h2>
                <p>"Argon2id passwords, hashed session tokens, per-user isolation on every query."</p>
            </article>
        </section>
        <section class="details">
            <button
                type="button"
                class="disclosure"
                aria-expanded=move || details_open.get().to_string()
                aria-controls="how-it-works"
                on:click=move |_| details_open.update(|o| *o = !*o)
            >
                {move || if details_open.get() { "Hide how it works" } else { "How it works" }}
            </button>
            <div id="how-it-works" class="disclosure-body" hidden=move || !details_open.get()>
                <p>
                    "One small Rust binary serves the web app and an OpenAI-compatible API at "
                    <code>"/v1/chat/completions"</code>
                    ". It stores accounts and chats in SQLite by default, or PostgreSQL when you "
                    "outgrow one machine, and writes every chat to a markdown document the agent "
                    "can search when you ask \"what did we say about…\"."
                </p>
            </div>
        </section>
    }
}
