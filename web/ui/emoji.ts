/**
 * A small built-in emoji set (no library): common emoji with a name and keywords for search,
 * and the person's recent picks in localStorage (most recent first).
 */
const DATA = `😀 grinning smile happy|😃 smiley happy joy|😄 smile happy laugh|😁 grin beaming|😆 laughing satisfied|😅 sweat smile relief|🤣 rofl rolling floor laughing|😂 joy tears laughing lol|🙂 slight smile|🙃 upside down|😉 wink|😊 blush smile|😇 innocent halo angel|🥰 smiling hearts love|😍 heart eyes love|🤩 star struck|😘 kiss blow|😗 kissing|😚 kissing closed eyes|😋 yum tasty|😛 tongue|😜 wink tongue crazy|🤪 zany crazy|😝 squint tongue|🤑 money mouth|🤗 hug hugging|🤭 hand over mouth oops|🤫 shush quiet|🤔 thinking hmm|🤐 zipper mouth|🤨 raised eyebrow|😐 neutral|😑 expressionless|😶 no mouth|😏 smirk|😒 unamused|🙄 eye roll|😬 grimace|😌 relieved|😔 pensive|😪 sleepy|🤤 drool|😴 sleeping zzz|😷 mask sick|🤒 thermometer sick|🤕 bandage hurt|🤢 nauseated sick|🤮 vomit|🤧 sneeze|🥵 hot|🥶 cold freezing|🥴 woozy|😵 dizzy|🤯 mind blown exploding|🤠 cowboy|🥳 party celebrate|😎 cool sunglasses|🤓 nerd|🧐 monocle|😕 confused|😟 worried|🙁 frown|😮 open mouth wow|😯 hushed|😲 astonished|😳 flushed|🥺 pleading puppy eyes|😦 frowning|😧 anguished|😨 fearful|😰 anxious sweat|😥 sad relieved|😢 cry sad tear|😭 sob crying|😱 scream fear|😖 confounded|😣 persevere|😞 disappointed|😓 sweat|😩 weary|😫 tired|🥱 yawn|😤 triumph huff|😡 pout angry rage|😠 angry|🤬 cursing swear|😈 smiling devil|👿 imp devil|💀 skull dead|💩 poop|🤡 clown|👻 ghost|👽 alien|🤖 robot|😺 cat smile|😻 cat heart eyes|🙈 see no evil monkey|🙉 hear no evil|🙊 speak no evil|💋 kiss lips|💌 love letter|💘 cupid heart arrow|💝 heart ribbon gift|💖 sparkling heart|💗 growing heart|💓 beating heart|💞 revolving hearts|💕 two hearts|💔 broken heart|❤️ red heart love|🧡 orange heart|💛 yellow heart|💚 green heart|💙 blue heart|💜 purple heart|🖤 black heart|🤍 white heart|💯 hundred perfect score|💢 anger|💥 boom collision|💫 dizzy star|💦 sweat drops|💨 dash|💬 speech bubble|💭 thought bubble|💤 zzz sleep|👋 wave hello bye|🤚 raised back of hand|✋ raised hand stop high five|🖖 vulcan|👌 ok perfect|🤌 pinched fingers|🤏 pinching small|✌️ victory peace|🤞 crossed fingers luck|🤟 love you gesture|🤘 rock horns metal|🤙 call me shaka|👈 point left|👉 point right|👆 point up|👇 point down|☝️ index up|👍 thumbs up like yes +1|👎 thumbs down dislike no -1|✊ fist|👊 punch fist bump|🤛 left fist|🤜 right fist|👏 clap applause|🙌 raised hands hooray|👐 open hands|🤲 palms up|🤝 handshake deal|🙏 pray please thanks|✍️ writing|💪 muscle strong flex|🧠 brain smart|👀 eyes look|👁️ eye|👶 baby|🧒 child|👦 boy|👧 girl|🧑 person|👨 man|👩 woman|🧓 older person|🙋 raising hand|🤷 shrug|🤦 facepalm|🙇 bow|💁 tipping hand|🙅 no gesture|🙆 ok gesture|🏃 running|💃 dancing|🕺 man dancing|👯 party dancers|🐶 dog puppy|🐱 cat kitten|🐭 mouse|🐰 rabbit bunny|🦊 fox|🐻 bear|🐼 panda|🐨 koala|🐯 tiger|🦁 lion|🐮 cow|🐷 pig|🐸 frog|🐵 monkey|🐔 chicken|🐧 penguin|🐦 bird|🦄 unicorn|🐝 bee|🦋 butterfly|🐢 turtle|🐍 snake|🐙 octopus|🐟 fish|🐬 dolphin|🐳 whale|🌸 cherry blossom flower|🌹 rose|🌻 sunflower|🌷 tulip|🌱 seedling|🌲 tree evergreen|🌴 palm tree|🍀 four leaf clover luck|🍁 maple leaf|🌍 earth globe world|🌙 moon|⭐ star|🌟 glowing star|✨ sparkles|⚡ zap lightning|🔥 fire lit hot|🌈 rainbow|☀️ sun sunny|⛅ cloud sun|🌧️ rain|❄️ snowflake|☃️ snowman|🌊 wave ocean|🍎 apple|🍊 orange|🍋 lemon|🍌 banana|🍉 watermelon|🍇 grapes|🍓 strawberry|🍒 cherries|🍑 peach|🥑 avocado|🍅 tomato|🌶️ hot pepper|🌽 corn|🥕 carrot|🍞 bread|🧀 cheese|🍔 burger hamburger|🍟 fries|🍕 pizza|🌭 hot dog|🌮 taco|🍣 sushi|🍜 noodles ramen|🍿 popcorn|🍩 doughnut donut|🍪 cookie|🎂 birthday cake|🍰 cake|🍫 chocolate|🍬 candy|🍦 ice cream|☕ coffee|🍵 tea|🍺 beer|🍻 beers cheers|🥂 champagne toast|🍷 wine|🍸 cocktail|⚽ soccer football|🏀 basketball|🏈 football|⚾ baseball|🎾 tennis|🏐 volleyball|🎱 8 ball|🏆 trophy win|🥇 gold medal first|🎯 bullseye target|🎮 video game|🎲 dice|🎸 guitar|🎹 piano|🎤 microphone sing|🎧 headphones music|🎬 clapper movie|🎨 art palette|🚗 car|🚕 taxi|🚌 bus|🚲 bicycle bike|✈️ airplane plane travel|🚀 rocket launch ship|🛸 ufo|🚢 ship|🏠 house home|🏢 office building|⏰ alarm clock|⌛ hourglass|📱 phone mobile|💻 laptop computer|⌨️ keyboard|🖥️ desktop|🖨️ printer|📷 camera|📹 video camera|📺 tv|💡 bulb idea|🔦 flashlight|📚 books|📖 book|📝 memo note|✏️ pencil|📌 pushpin pin|📎 paperclip|✂️ scissors|📅 calendar|📈 chart up|📉 chart down|📊 bar chart|🗂️ folders|📁 folder|📦 package box|✉️ envelope mail|📧 email|🔒 lock|🔑 key|🔨 hammer|🛠️ tools|⚙️ gear settings|🧪 test tube|💊 pill|💰 money bag|💸 money wings|💳 credit card|🎁 gift present|🎈 balloon|🎉 tada party popper celebrate|🎊 confetti|🎄 christmas tree|🎃 jack o lantern halloween|🔔 bell|📣 megaphone|🔊 loud speaker|🔇 mute|✅ check done yes|☑️ ballot check|✔️ check mark|❌ cross no wrong|❎ cross button|➕ plus|➖ minus|❓ question|❗ exclamation|‼️ double exclamation|⚠️ warning|🚫 prohibited no|⛔ no entry|🆗 ok button|🆕 new|🆒 cool|🆘 sos help|🔴 red circle|🟢 green circle|🔵 blue circle|⚫ black circle|⚪ white circle|🟡 yellow circle|🔺 red triangle|💎 gem diamond|🏁 checkered flag finish|🚩 red flag|🏳️‍🌈 rainbow flag pride|👑 crown king|🎓 graduation cap|🧢 cap|👓 glasses|💼 briefcase work|👟 sneaker shoe|👕 shirt|🌐 globe web|♻️ recycle|⬆️ up arrow|⬇️ down arrow|➡️ right arrow|⬅️ left arrow|🔄 repeat refresh|🔝 top|🆙 up`;

export type EmojiEntry = { e: string; k: string };
export const EMOJI: readonly EmojiEntry[] = DATA.split("|").map((s) => {
  const i = s.indexOf(" ");
  return { e: s.slice(0, i), k: s.slice(i + 1) };
});

/** The default quick reactions. */
export const QUICK = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

const RECENT_KEY = "chat:emoji:recent";
export function recentEmoji(): string[] {
  try {
    const raw = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]") as unknown;
    return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === "string").slice(0, 24) : [];
  } catch {
    return [];
  }
}
export function rememberEmoji(e: string): void {
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify([e, ...recentEmoji().filter((x) => x !== e)].slice(0, 24)));
  } catch {
    // storage unavailable
  }
}

export function searchEmoji(q: string): readonly EmojiEntry[] {
  const t = q.trim().toLowerCase();
  if (!t) return EMOJI;
  return EMOJI.filter((x) => x.k.split(" ").some((w) => w.startsWith(t)) || x.k.includes(t) || x.e === t);
}
