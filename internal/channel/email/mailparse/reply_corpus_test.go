package mailparse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStripReplyCorpus checks StripReply on GitHub's email_reply_parser
// fixtures. The expectations follow that project's tests: the reply is its
// "visible text", i.e. everything up to the last fragment that is neither
// quoted nor a signature.
func TestStripReplyCorpus(t *testing.T) {
	dir := filepath.Join(corpusDir, "email_reply_parser")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	type want struct {
		reply        string // exact, when set
		prefix       string
		suffix       string
		quotedPrefix string
		noQuote      bool // nothing may be removed
	}
	tests := map[string]want{
		"correct_sig.txt":      {reply: "this is an email with a correct -- signature.", quotedPrefix: "-- \nrick"},
		"email_1_1.txt":        {reply: "Hi folks\n\nWhat is the best way to clear a Riak bucket of all key, values after \nrunning a test?\nI am currently using the Java HTTP API.", quotedPrefix: "-Abhishek Kona"},
		"email_1_2.txt":        {prefix: "Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Abhishek Kona wrote:\n> Hi folks", suffix: "need to delete them all individually.\"", quotedPrefix: "> \n> -Abhishek Kona"},
		"email_1_3.txt":        {reply: "Oh thanks.\n\nHaving the function would be great.", quotedPrefix: "-Abhishek Kona\n\nOn 01/03/11 7:07 PM, Russell Brown wrote:"},
		"email_1_4.txt":        {reply: "Awesome! I haven't had another problem with it.", quotedPrefix: "On Aug 22, 2011"},
		"email_1_5.txt":        {prefix: "One: Here's what I've got.", suffix: "for a while.", noQuote: true},
		"email_1_6.txt":        {reply: "I get proper rendering as well.\n\nSent from a magnificent torch of pixels", quotedPrefix: "On Dec 16, 2011, at 12:47 PM, Corey Donohoe\n<reply@reply.github.com>\nwrote:"},
		"email_1_7.txt":        {reply: ":+1:", quotedPrefix: "On Tue, Sep 25, 2012"},
		"email_1_8.txt":        {prefix: "On Tue, Apr 29, 2014 at 4:22 PM, Example Dev", suffix: "and under this.", quotedPrefix: ">\n> -- Tim"},
		"email_2_1.txt":        {reply: "Outlook with a reply", quotedPrefix: "------------------------------"},
		"email_2_2.txt":        {reply: "Outlook with a reply directly above line", quotedPrefix: "________"},
		"email_2_3.txt":        {reply: "Outlook with a reply directly above line", quotedPrefix: "From: CRM Comments"},
		"email_BlackBerry.txt": {reply: "Here is another email", quotedPrefix: "Sent from my BlackBerry"},
		"email_iPhone.txt":     {reply: "Here is another email", quotedPrefix: "Sent from my iPhone"},
		"email_multi_word_sent_from_my_mobile_device.txt": {reply: "Here is another email", quotedPrefix: "Sent from my Verizon Wireless BlackBerry"},
		"email_sent_from_my_not_signature.txt":            {reply: "Here is another email\n\nSent from my desk, is much easier then my mobile phone.", noQuote: true},
		"email_bullets.txt":                               {reply: "test 2 this should list second\n\nand have spaces\n\nand retain this formatting\n\n\n   - how about bullets\n   - and another", quotedPrefix: "On Fri, Feb 24, 2012"},
		"email_one_is_not_on.txt":                         {reply: "Thank, this is really helpful.\n\nOne outstanding question I had:\n\nLocally (on development), when I run...", quotedPrefix: "On Oct 1, 2012"},
		"greedy_on.txt":                                   {prefix: "On your remote host you can run:", suffix: "fails, the tunnel is not working.", quotedPrefix: "On 9 Jan 2014, at 2:47, George Plymale wrote:"},
		"pathological.txt":                                {reply: "I think you're onto something. I will try to fix the problem as soon as I\nget back to a computer.", quotedPrefix: "On Dec 8, 2013"},
		"email_sig_delimiter_in_middle_of_line.txt":       {prefix: "Hi there!", suffix: "kthxbai", noQuote: true},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("corpus has %d files, test covers %d", len(files), len(tests))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			w, ok := tests[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			reply, quoted := StripReply(string(raw))
			if w.reply != "" && reply != w.reply {
				t.Errorf("reply = %q, want %q", reply, w.reply)
			}
			if !strings.HasPrefix(reply, w.prefix) {
				t.Errorf("reply = %q, want prefix %q", trunc(reply), w.prefix)
			}
			if !strings.HasSuffix(reply, w.suffix) {
				t.Errorf("reply = %q, want suffix %q", trunc(reply), w.suffix)
			}
			if w.noQuote && quoted != "" {
				t.Errorf("quoted = %q, want nothing removed", trunc(quoted))
			}
			if !strings.HasPrefix(strings.TrimSpace(quoted), w.quotedPrefix) {
				t.Errorf("quoted = %q, want prefix %q", trunc(quoted), w.quotedPrefix)
			}
		})
	}
}
