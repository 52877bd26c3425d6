// Package llm is balie's optional generative-AI provider: a small client for
// the OpenAI Chat Completions API that any compatible server speaks (a
// hosted service, or a local one such as Ollama, vLLM or llama.cpp), and the
// two jobs balie gives it:
//
//   - DraftAnswer drafts an answer to a customer's question from
//     knowledge-base sources only, citing them as [1], [2]; an answer that
//     cites no source it was given is rejected, so a caller never shows
//     the customer something the knowledge base does not back up.
//   - Summarise writes a few hand-over lines for the agent who takes over
//     a conversation: what the customer wants, what was tried, what is open.
//
// It is off by default: nothing in balie needs it, and a Client exists only
// when an admin configures a base URL and a model. Source texts, questions
// and transcripts are untrusted; they are fenced off in the prompt, tags
// inside them are neutralised, the model is told to treat them as data, and
// the prompt has a size cap.
//
// The HTTP client is passed in so that the caller decides which addresses
// may be reached: balie's safehttp client refuses private addresses unless
// allowed, and a local Ollama on 127.0.0.1 is a legitimate target when the
// admin configured it. The API key is sent only in the Authorization header
// and never appears in errors or in printed or logged configuration.
//
// Configuring a local Ollama (after `ollama pull llama3.1`):
//
//	cfg := llm.Config{
//		BaseURL: "http://127.0.0.1:11434/v1", // Ollama's OpenAI-compatible endpoint
//		Model:   "llama3.1",
//		Timeout: 2 * time.Minute, // local models can be slow on a CPU
//	}
//	c, err := llm.New(cfg, &http.Client{})
//	if err != nil {
//		return err
//	}
//	d, err := c.DraftAnswer(ctx, "Hoe lang duurt de levering?", sources, "nl")
//	switch {
//	case errors.Is(err, llm.ErrNoAnswer), errors.Is(err, llm.ErrUngrounded):
//		// hand over to a person
//	case err != nil:
//		// provider trouble; errors.Is(err, desk.ErrTemporary) is worth a retry
//	default:
//		// d.Text cites sources[d.Citations[i]]
//	}
//
// A hosted service takes its base URL (for example
// "https://api.openai.com/v1"), a model name and an APIKey.
//
// llm imports only the standard library and internal/desk.
package llm
